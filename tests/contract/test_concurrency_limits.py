"""Contract: concurrency limits are stored per owner, claims take at most
`max_running` intents of a limited group (and `max_per_key` of one key), and a
lease that ends in any way (fulfill, fail, expiry, cancel) frees its slot."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Intent, PublishItem, Store
from intent_bus.storage.errors import NotFound
from intent_bus.storage.limits import ConcurrencyLimit
from tests.contract.conftest import NOW, claim, claimer, new_intent, publish

pytestmark = pytest.mark.anyio


async def _claim_all(store: Store, now: float = NOW) -> list[Intent]:
    taken: list[Intent] = []
    while (took := await claim(store, now=now)) is not None:
        taken.append(took)
    return taken


async def test_limits_are_set_replaced_listed_and_cleared_per_owner(
    store: Store,
) -> None:
    first = await store.limit_set("acme", "default", "resize", 3, None, NOW)
    again = await store.limit_set("acme", "default", "resize", 2, 1, NOW + 5)
    await store.limit_set("other", "default", "resize", 7, None, NOW)

    assert first == ConcurrencyLimit("acme", "default", "resize", 3, None, NOW, 0)
    assert again == ConcurrencyLimit("acme", "default", "resize", 2, 1, NOW + 5, 0)
    assert await store.limit_list("acme") == [again]
    assert len(await store.limit_list(None)) == 2

    await store.limit_clear("acme", "default", "resize")
    with pytest.raises(NotFound):
        await store.limit_clear("acme", "default", "resize")
    assert [lim.owner for lim in await store.limit_list(None)] == ["other"]


async def test_claims_stop_at_max_running_and_the_list_counts_them(
    store: Store,
) -> None:
    for _ in range(5):
        await publish(store)
    other_goal = await publish(store, goal="email", priority=1)
    await store.limit_set("acme", "default", "resize", 2, None, NOW)

    taken = await _claim_all(store)

    assert [t.goal for t in taken] == ["resize", "resize", "email"]
    assert taken[-1].id == other_goal.id
    (limit,) = await store.limit_list("acme")
    assert limit.running == 2
    assert await claim(store, claimer(goal="resize")) is None


async def test_max_per_key_caps_intents_sharing_a_key(store: Store) -> None:
    for key in ("a", "a", "a", "b", "b", None, None):
        await publish(store, concurrency_key=key)
    await store.limit_set("acme", "default", "resize", 5, 1, NOW)

    taken = await _claim_all(store)

    assert sorted(str(t.concurrency_key) for t in taken) == ["None", "None", "a", "b"]
    usage = await store.limit_usage("acme")
    assert usage.running[("acme", "default", "resize")] == 4
    assert usage.per_key[("acme", "default", "resize", "a")] == 1


async def test_a_fulfilled_lease_frees_its_slot(store: Store) -> None:
    await publish(store)
    await publish(store)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)
    took = await claim(store)
    assert took is not None and await claim(store) is None

    assert took.claim_token is not None
    await store.intent_fulfill(took.id, took.claim_token, None, "json", NOW + 1)

    assert await claim(store, now=NOW + 1) is not None


async def test_a_failed_lease_frees_its_slot(store: Store) -> None:
    await publish(store, priority=500, max_attempts=1)
    await publish(store)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)
    took = await claim(store)
    assert took is not None and await claim(store) is None

    assert took.claim_token is not None
    await store.intent_fail(took.id, took.claim_token, "boom", lambda *_: 0.0, NOW + 1)

    following = await claim(store, now=NOW + 1)
    assert following is not None and following.id != took.id


async def test_an_expired_lease_frees_its_slot(store: Store) -> None:
    await publish(store, priority=500)
    await publish(store)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)
    took = await claim(store, expires_at=NOW + 10)
    assert took is not None and await claim(store, now=NOW + 5) is None

    # The expired lease is settled by the claim itself; one of the two runs.
    again = await claim(store, now=NOW + 11)
    assert again is not None
    assert await claim(store, now=NOW + 12) is None


async def test_a_cancelled_lease_frees_its_slot_when_it_ends(store: Store) -> None:
    await publish(store, priority=500)
    waiting = await publish(store)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)
    took = await claim(store)
    assert took is not None and took.claim_token is not None

    await store.intent_cancel(took.id, "acme", NOW + 1)
    assert await claim(store, now=NOW + 1) is None  # it still runs until it ends
    ended = await store.intent_fulfill(took.id, took.claim_token, None, "json", NOW + 2)

    assert ended.status == "cancelled"
    following = await claim(store, now=NOW + 2)
    assert following is not None and following.id == waiting.id


async def test_limits_are_per_tenant(store: Store) -> None:
    for owner in ("acme", "acme", "other", "other"):
        await publish(store, owner=owner)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)

    mine = await _claim_all(store)
    theirs: list[Intent] = []
    while (took := await claim(store, claimer(owner="other"))) is not None:
        theirs.append(took)

    assert len(mine) == 1 and len(theirs) == 2
    assert [lim.owner for lim in await store.limit_list("other")] == []


async def test_a_deleted_limit_lets_the_held_intents_run(store: Store) -> None:
    for _ in range(3):
        await publish(store)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)
    assert len(await _claim_all(store)) == 1

    await store.limit_clear("acme", "default", "resize")

    assert len(await _claim_all(store)) == 2


async def test_public_intents_obey_their_publishers_limit(store: Store) -> None:
    for _ in range(3):
        await publish(store, visibility="public")
    await store.limit_set("acme", "default", "resize", 2, None, NOW)

    by_other = await claim(store, claimer(owner="other", namespace="jobs"))
    mine = await _claim_all(store)

    assert by_other is not None and len(mine) == 1


async def _got(store: Store, intent_id: str) -> Intent:
    got = await store.intent_get(intent_id, NOW)
    assert got is not None
    return got


async def test_every_read_of_an_intent_carries_its_concurrency_key(
    store: Store,
) -> None:
    # GET /intents/<id> shows what `intent_get` returns, on both backends.
    single = await publish(store, concurrency_key="customer-42")
    batched = new_intent(concurrency_key="c-7")
    await store.intent_publish_many([PublishItem(batched)], NOW)
    plain = await publish(store)

    assert (await _got(store, single.id)).concurrency_key == "customer-42"
    assert (await _got(store, batched.id)).concurrency_key == "c-7"
    assert (await _got(store, plain.id)).concurrency_key is None
    taken = {i.id: i for i in await _claim_all(store)}
    assert {i: t.concurrency_key for i, t in taken.items()} == {
        single.id: "customer-42",
        batched.id: "c-7",
        plain.id: None,
    }
    token = taken[single.id].claim_token
    assert token is not None
    done = await store.intent_fulfill(single.id, token, b"1", "json", NOW)
    assert done.concurrency_key == "customer-42"
    assert (await _got(store, single.id)).concurrency_key == "customer-42"
