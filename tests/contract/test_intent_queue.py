"""Contract: queue-wide views and upkeep: next_due, stats, dead letters, retention."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from intent_bus.storage.base import ClaimQuery, Intent, Store
from intent_bus.storage.errors import NotFound
from tests.contract.conftest import NOW, claim, claimer, lease, publish

pytestmark = pytest.mark.anyio


async def killed(store: Store, now: float = NOW, **overrides: object) -> Intent:
    """Publishes one intent and lets it die on its only attempt at `now`."""
    overrides.setdefault("goal", f"die-{uuid.uuid4().hex}")
    sent = await publish(store, max_attempts=1, **overrides)
    query = claimer(
        owner=sent.owner, namespace=sent.namespace, goal=sent.goal, publisher=sent.owner
    )
    got = await claim(store, query, now=now)
    assert got is not None and got.id == sent.id and got.claim_token is not None
    return await store.intent_fail(got.id, got.claim_token, "boom", lambda a, b: 1, now)


async def fulfilled(store: Store, now: float = NOW) -> Intent:
    sent = await publish(store, goal=f"done-{uuid.uuid4().hex}")
    got = await claim(store, claimer(goal=sent.goal), now=now)
    assert got is not None and got.id == sent.id and got.claim_token is not None
    return await store.intent_fulfill(got.id, got.claim_token, b"1", "json", now)


# -- next_due -----------------------------------------------------------------
async def next_due(store: Store, query: ClaimQuery) -> float | None:
    """When the next intent the query could take falls due, as an empty poll
    answers it (nothing here is due yet, so the poll claims nothing)."""
    # The server leases in the claimer's name, as here.
    polled = await store.intent_poll(query, lease(worker_id=query.worker_id), NOW)
    assert polled.intent is None
    return polled.next_due


async def test_next_due_is_none_without_delayed_intents(store: Store) -> None:
    await publish(store, namespace="other")  # due now, so not "future"
    assert await next_due(store, claimer()) is None


async def test_next_due_is_the_earliest_future_run_at_the_claimer_could_take(
    store: Store,
) -> None:
    await publish(store, run_at=NOW + 30)
    await publish(store, run_at=NOW + 20, visibility="public")
    await publish(store, run_at=NOW + 5, owner="globex")  # private to globex
    await publish(store, run_at=NOW + 6, namespace="other")  # other namespace
    await publish(store, run_at=NOW + 7, target_worker="box-2")
    await publish(store, run_at=NOW + 8, required_capability="gpu")

    assert await next_due(store, claimer()) == NOW + 20
    assert await next_due(store, claimer(capabilities=("gpu",))) == NOW + 8
    assert await next_due(store, claimer(worker_id="box-2")) == NOW + 7
    assert await next_due(store, claimer(namespace="other")) == NOW + 6


async def test_next_due_respects_goal_and_publisher(store: Store) -> None:
    await publish(store, run_at=NOW + 10, goal="a")
    await publish(store, run_at=NOW + 20, goal="b")
    await publish(store, run_at=NOW + 5, goal="b", owner="globex", visibility="public")

    assert await next_due(store, claimer(goal="a")) == NOW + 10
    assert await next_due(store, claimer(goal="b")) == NOW + 5
    assert await next_due(store, claimer(publisher="acme")) == NOW + 10
    assert await next_due(store, claimer(publisher="globex")) == NOW + 5
    assert await next_due(store, claimer(publisher="nobody")) is None


# -- stats --------------------------------------------------------------------
async def test_stats_count_by_status_and_namespace(store: Store) -> None:
    await publish(store, created_at=NOW - 50, namespace="media")
    await publish(store, created_at=NOW - 10)
    await publish(store, created_at=NOW - 99, run_at=NOW - 99)  # claimed below
    assert await claim(store) is not None
    await fulfilled(store)
    await killed(store, namespace="media")

    stats = await store.intent_stats(NOW)

    nonzero = {status: n for status, n in stats.by_status.items() if n}
    assert nonzero == {"open": 2, "claimed": 1, "fulfilled": 1, "dead": 1}
    per_namespace = {
        ns: {status: n for status, n in counts.items() if n}
        for ns, counts in stats.by_namespace.items()
    }
    assert per_namespace == {
        "default": {"open": 1, "claimed": 1, "fulfilled": 1},
        "media": {"open": 1, "dead": 1},
    }
    assert stats.oldest_open_created_at == NOW - 50


async def test_stats_of_empty_store(store: Store) -> None:
    stats = await store.intent_stats(NOW)
    assert not any(stats.by_status.values())
    assert stats.oldest_open_created_at is None


# -- dead letters -------------------------------------------------------------
async def test_dead_list_is_newest_first_and_filtered(store: Store) -> None:
    first = await killed(store, now=NOW + 1)
    second = await killed(store, now=NOW + 2, namespace="media")
    third = await killed(store, now=NOW + 3, owner="globex")
    await fulfilled(store)

    everything = await store.intent_list_dead(None, None, 100)
    assert [i.id for i in everything] == [third.id, second.id, first.id]
    assert all(i.status == "dead" and i.error == "boom" for i in everything)
    acme = await store.intent_list_dead("acme", None, 100)
    assert [i.id for i in acme] == [second.id, first.id]
    media = await store.intent_list_dead(None, "media", 100)
    assert [i.id for i in media] == [second.id]
    assert [i.id for i in await store.intent_list_dead("acme", "default", 100)] == [
        first.id
    ]
    assert [i.id for i in await store.intent_list_dead(None, None, 2)] == [
        third.id,
        second.id,
    ]


async def test_requeue_reopens_dead_intent_with_fresh_attempts(store: Store) -> None:
    dead = await killed(store)

    again = await store.intent_requeue(dead.id, NOW + 500)

    assert again.status == "open"
    assert (again.claim_attempts, again.error, again.completed_at) == (0, None, None)
    assert again.run_at == NOW + 500
    assert await store.intent_list_dead(None, None, 10) == []
    got = await claim(store, now=NOW + 500)
    assert got is not None and got.id == dead.id and got.claim_attempts == 1


async def test_requeue_of_live_or_unknown_intent_is_not_found(store: Store) -> None:
    live = await publish(store)
    with pytest.raises(NotFound):
        await store.intent_requeue(live.id, NOW)
    done = await fulfilled(store)
    with pytest.raises(NotFound):
        await store.intent_requeue(done.id, NOW)
    with pytest.raises(NotFound):
        await store.intent_requeue("d" * 32, NOW)
    stored = await store.intent_get(live.id, NOW)
    assert stored is not None and stored.status == "open"


# -- retention ----------------------------------------------------------------
async def test_purge_deletes_terminal_intents_completed_before_the_cutoff(
    store: Store,
) -> None:
    old_done = await fulfilled(store, now=NOW)
    old_dead = await killed(store, now=NOW + 1)
    recent = await fulfilled(store, now=NOW + 100)
    waiting = await publish(store, created_at=NOW - 1000)
    await publish(store, created_at=NOW - 1000)
    held = await claim(store, now=NOW, expires_at=NOW + 10_000)
    assert held is not None

    assert await store.intent_purge(NOW + 50) == 2

    assert await store.intent_get(old_done.id, NOW + 200) is None
    assert await store.intent_get(old_dead.id, NOW + 200) is None
    assert await store.intent_get(recent.id, NOW + 200) is not None
    assert await store.intent_get(waiting.id, NOW + 200) is not None
    assert await store.intent_get(held.id, NOW + 200) is not None
    assert await store.intent_purge(NOW + 50) == 0


async def test_purge_removes_large_histories_completely(store: Store) -> None:
    count = 1234  # more than one internal batch of a backend's purge

    async def one() -> None:
        await publish(store)
        got = await claim(store, now=NOW)
        assert got is not None and got.claim_token is not None
        await store.intent_fulfill(got.id, got.claim_token, None, "json", NOW)

    for start in range(0, count, 100):
        await asyncio.gather(*(one() for _ in range(min(100, count - start))))

    assert await store.intent_purge(NOW + 1) == count
    stats = await store.intent_stats(NOW + 1)
    assert not any(stats.by_status.values())
