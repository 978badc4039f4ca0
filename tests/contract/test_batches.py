"""Contract: batches are the single operations repeated in one transaction,
each item with its own outcome (issue 13)."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import (
    Completion,
    Idempotency,
    Intent,
    PublishItem,
    Store,
    StoredResponse,
)
from intent_bus.storage.batches import Polled
from intent_bus.storage.errors import Conflict, LeaseLost
from tests.contract.conftest import NOW, claim, claimer, lease, new_intent, publish

pytestmark = pytest.mark.anyio


def record(key: str, body_hash: str = "h1") -> Idempotency:
    return Idempotency("k1", key, body_hash, 201, b'{"id":"first"}')


def retry_delay(attempts: int, base: float) -> float:
    return 10.0


async def test_publish_many_inserts_replays_and_refuses_per_item(store: Store) -> None:
    items = [
        PublishItem(new_intent(priority=1)),
        PublishItem(new_intent(priority=2), record("a")),
        PublishItem(new_intent(priority=3), record("a")),  # same key, same body
        PublishItem(new_intent(priority=4), record("a", "h2")),  # another body
    ]
    outcomes = await store.intent_publish_many(items, NOW)
    assert outcomes[:2] == [None, None]
    assert outcomes[2] == StoredResponse(201, b'{"id":"first"}')
    assert isinstance(outcomes[3], Conflict)
    # Only the inserted ones exist; the batch committed despite the refusal.
    assert await store.intent_get(items[0].intent.id, NOW) is not None
    assert await store.intent_get(items[1].intent.id, NOW) is not None
    assert await store.intent_get(items[2].intent.id, NOW) is None
    assert await store.intent_get(items[3].intent.id, NOW) is None
    again = await store.intent_publish_many([items[1]], NOW + 1)
    assert again == [StoredResponse(201, b'{"id":"first"}')]
    # The single publish shares the same records.
    replay = await store.intent_publish(new_intent(), record("a"), NOW + 2)
    assert replay == StoredResponse(201, b'{"id":"first"}')


async def test_poll_many_leases_up_to_n_in_claim_order(store: Store) -> None:
    published = [new_intent(priority=p) for p in (5, 50, 500)]
    await store.intent_publish_many([PublishItem(i) for i in published], NOW)
    leases = [lease() for _ in range(2)]
    polled = await store.intent_poll_many(claimer(), leases, NOW)
    assert [i.priority for i in polled.intents] == [500, 50]
    assert [i.claim_token for i in polled.intents] == [x.claim_token for x in leases]
    assert all(i.status == "claimed" and i.claim_attempts == 1 for i in polled.intents)
    rest = await store.intent_poll_many(claimer(), [lease() for _ in range(5)], NOW)
    assert [i.priority for i in rest.intents] == [5]
    empty = await store.intent_poll_many(claimer(), [lease()], NOW)
    assert empty.intents == [] and empty.next_due is None


async def test_poll_many_when_empty_gives_the_next_due_time(store: Store) -> None:
    await store.intent_publish_many([PublishItem(new_intent(run_at=NOW + 30))], NOW)
    polled = await store.intent_poll_many(claimer(), [lease(), lease()], NOW)
    assert polled.intents == [] and polled.next_due == NOW + 30


async def test_poll_many_respects_visibility_and_pauses(store: Store) -> None:
    others = new_intent(owner="other")
    paused = new_intent(goal="paused")
    mine = new_intent()
    await store.intent_publish_many(
        [PublishItem(i) for i in (others, paused, mine)], NOW
    )
    await store.pause_set("acme", "default", "paused", NOW)
    polled = await store.intent_poll_many(claimer(), [lease() for _ in range(5)], NOW)
    assert [i.id for i in polled.intents] == [mine.id]


async def test_complete_many_checks_each_token_alone(store: Store) -> None:
    published = [new_intent(max_attempts=1 if n == 2 else 3) for n in range(4)]
    await store.intent_publish_many([PublishItem(i) for i in published], NOW)
    polled = await store.intent_poll_many(claimer(), [lease() for _ in range(4)], NOW)
    got = {i.id: i for i in polled.intents}
    a, b, c, d = (got[i.id] for i in published)
    assert a.claim_token and b.claim_token and c.claim_token
    completions = [
        Completion(a.id, a.claim_token, "fulfill", b"1", "json"),
        Completion(b.id, b.claim_token, "fail", error="boom"),
        Completion(c.id, c.claim_token, "fail", error="dead"),
        Completion(d.id, "stale-token", "fulfill", b"2", "json"),
    ]
    outcomes = await store.intent_complete_many(
        completions, retry_delay, NOW, owner="acme"
    )
    first, second, third, fourth = outcomes
    assert not isinstance(first, Exception) and first.status == "fulfilled"
    assert not isinstance(second, Exception) and second.status == "open"
    assert second.run_at == NOW + 10
    assert not isinstance(third, Exception) and third.status == "dead"
    assert isinstance(fourth, LeaseLost)
    stored = await store.intent_get(d.id, NOW)
    assert stored is not None and stored.status == "claimed"
    # A retried batch (its answer lost) gets the same outcomes.
    again = await store.intent_complete_many(
        completions, retry_delay, NOW + 1, owner="acme"
    )
    assert again[:3] == outcomes[:3] and isinstance(again[3], LeaseLost)


async def test_complete_many_refuses_another_tenants_lease(store: Store) -> None:
    await store.intent_publish_many([PublishItem(new_intent())], NOW)
    polled = await store.intent_poll_many(claimer(), [lease()], NOW)
    got = polled.intents[0]
    assert got.claim_token is not None
    done = Completion(got.id, got.claim_token, "fulfill", b"1", "json")
    outcomes = await store.intent_complete_many([done], retry_delay, NOW, owner="bob")
    assert isinstance(outcomes[0], LeaseLost)
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.status == "claimed"


async def test_poll_many_stops_at_a_concurrency_limit_and_claims_past_it(
    store: Store,
) -> None:
    """A limited intent met in the middle of a batch takes its free slots
    only; the batch goes on with the intents after it, in claim order."""
    await store.limit_set("acme", "default", "limited", 1, None, NOW)
    first = new_intent(goal="free", priority=200)
    limited = [new_intent(goal="limited", priority=150) for _ in range(2)]
    last = new_intent(goal="free", priority=100)
    for intent in (first, *limited, last):
        await store.intent_publish(intent, None, NOW)
    polled = await store.intent_poll_many(claimer(), [lease() for _ in range(4)], NOW)
    assert [i.id for i in polled.intents] == [first.id, limited[0].id, last.id]
    assert len({i.claim_token for i in polled.intents}) == 3


async def _claimed(store: Store, *overrides: dict[str, object]) -> list[Intent]:
    """Publishes one intent per set of overrides and claims them all, in order
    of publication (the priorities say so)."""
    published = [
        new_intent(priority=900 - n, **extra) for n, extra in enumerate(overrides)
    ]
    await store.intent_publish_many([PublishItem(i) for i in published], NOW)
    leases = [lease() for _ in published]
    polled = await store.intent_poll_many(claimer(), leases, NOW)
    assert [i.id for i in polled.intents] == [i.id for i in published]
    return list(polled.intents)


def _fail(intent: Intent, error: str = "boom", token: str | None = None) -> Completion:
    return Completion(intent.id, token or str(intent.claim_token), "fail", error=error)


async def test_complete_many_fails_reopen_kill_and_cancel_per_item(
    store: Store,
) -> None:
    """A batch of fails ends each lease as a single fail would: reopened with
    its backoff, dead at max_attempts, cancelled when a cancel was asked; a
    stale token and another tenant's lease are refused alone, and a fail
    already applied by the same token answers as it did."""
    reopen, kill, cancel, stale, replayed = await _claimed(
        store, {}, {"max_attempts": 1}, {}, {}, {}
    )
    await publish(store, owner="bob")
    foreign = await claim(store, claimer(owner="bob"))
    assert foreign is not None
    await store.intent_cancel(cancel.id, "acme", NOW)
    first = await store.intent_fail(
        replayed.id, str(replayed.claim_token), "once", retry_delay, NOW, owner="acme"
    )
    delays: list[tuple[int, float]] = []

    def counted_delay(attempts: int, base: float) -> float:
        delays.append((attempts, base))
        return 7.0

    outcomes = await store.intent_complete_many(
        [
            _fail(reopen, "r"),
            _fail(kill, "k"),
            _fail(cancel, "c"),
            _fail(stale, token="stale-token"),
            _fail(replayed, "once"),
            _fail(foreign),
        ],
        counted_delay,
        NOW + 1,
        owner="acme",
    )
    opened, killed, cancelled, lost, again, refused = outcomes
    assert isinstance(opened, Intent) and opened.status == "open"
    assert (opened.run_at, opened.error, opened.claim_token) == (NOW + 8, "r", None)
    assert delays == [(1, 5.0)]
    assert isinstance(killed, Intent) and killed.status == "dead"
    assert (killed.error, killed.completed_at) == ("k", NOW + 1)
    assert isinstance(cancelled, Intent) and cancelled.status == "cancelled"
    assert (cancelled.error, cancelled.completed_at) == ("c", NOW + 1)
    assert isinstance(lost, LeaseLost) and isinstance(refused, LeaseLost)
    assert again == first
    for untouched in (stale, foreign):
        stored = await store.intent_get(untouched.id, NOW + 1)
        assert stored is not None and stored.status == "claimed"
    timeline = {
        intent.id: [
            event.type for event in await store.intent_events(intent.id, None) or []
        ]
        for intent in (reopen, kill, cancel)
    }
    assert timeline == {
        reopen.id: ["published", "claimed", "failed"],
        kill.id: ["published", "claimed", "failed", "dead"],
        cancel.id: ["published", "claimed", "cancel_requested", "failed", "cancelled"],
    }
    counts = await store.intent_stats(NOW + 1)
    assert {s: n for s, n in counts.by_status.items() if n} == {
        "open": 2,
        "dead": 1,
        "cancelled": 1,
        "claimed": 2,
    }
    # The reopened intent is due again after its delay.
    assert await store.intent_poll_many(claimer(), [lease()], NOW + 1) == Polled(
        [], next_due=NOW + 8
    )
    # The whole batch retried (its answer lost) gets the same answers.
    retried = await store.intent_complete_many(
        [_fail(reopen, "r"), _fail(kill, "k"), _fail(cancel, "c")],
        counted_delay,
        NOW + 2,
        owner="acme",
    )
    assert retried == [opened, killed, cancelled]


async def test_complete_many_sees_earlier_items_of_the_same_id(store: Store) -> None:
    """Items are applied in order: a later item for the same id finds the
    lease as the earlier one left it, whatever their kinds."""
    failed_first, stale_first, twice = await _claimed(store, {}, {}, {})
    outcomes = await store.intent_complete_many(
        [
            _fail(failed_first, "first"),
            Completion(
                failed_first.id, str(failed_first.claim_token), "fulfill", b"1", "json"
            ),
            _fail(stale_first, token="stale-token"),
            _fail(stale_first, "live"),
            _fail(twice, "same"),
            _fail(twice, "same"),
            _fail(twice, "other"),
        ],
        retry_delay,
        NOW,
        owner="acme",
    )
    failed, late_fulfill, stale, live, once, replay, other = outcomes
    assert isinstance(failed, Intent) and failed.status == "open"
    assert isinstance(late_fulfill, LeaseLost)
    assert isinstance(stale, LeaseLost)
    assert isinstance(live, Intent) and (live.status, live.error) == ("open", "live")
    assert isinstance(once, Intent) and once.status == "open"
    assert replay == once
    assert isinstance(other, LeaseLost)
    stored = await store.intent_get(failed_first.id, NOW)
    assert stored is not None and (stored.status, stored.error) == ("open", "first")


async def test_complete_many_fails_free_their_limited_slots(store: Store) -> None:
    await store.limit_set("acme", "default", "resize", 2, None, NOW)
    held = await _claimed(store, {}, {"max_attempts": 1})
    waiting = await publish(store, priority=1)
    assert await claim(store) is None
    outcomes = await store.intent_complete_many(
        [_fail(held[0]), _fail(held[1])], retry_delay, NOW, owner="acme"
    )
    assert [o.status for o in outcomes if isinstance(o, Intent)] == ["open", "dead"]
    polled = await store.intent_poll_many(claimer(), [lease(), lease()], NOW)
    assert [i.id for i in polled.intents] == [waiting.id]
