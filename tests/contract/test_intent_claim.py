"""Contract: which intents a claim may take, in which order, and what it grants."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Lease, Store
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


async def test_claim_on_empty_store_returns_none(store: Store) -> None:
    assert await claim(store) is None


async def test_claim_leases_intent_and_counts_the_attempt(store: Store) -> None:
    sent = await publish(store)
    granted = Lease("token-1", NOW + 60, "worker-7")

    got = await store.intent_claim(claimer(), granted, NOW)

    assert got is not None and got.id == sent.id
    assert got.status == "claimed"
    assert got.claim_attempts == 1
    assert (got.claim_token, got.lease_expires_at, got.worker_id) == (
        "token-1",
        NOW + 60,
        "worker-7",
    )
    assert got.payload == sent.payload
    stored = await store.intent_get(sent.id, NOW + 1)
    assert stored is not None and stored.status == "claimed"
    assert stored.claim_token == "token-1"


async def test_claim_skips_intent_with_live_lease(store: Store) -> None:
    await publish(store)
    assert await claim(store) is not None
    assert await claim(store, now=NOW + 59) is None


async def test_private_intent_is_only_for_its_tenant_and_namespace(
    store: Store,
) -> None:
    sent = await publish(store, visibility="private", namespace="media")

    assert await claim(store, claimer(owner="globex", namespace="media")) is None
    assert await claim(store, claimer(owner="acme", namespace="default")) is None
    got = await claim(store, claimer(owner="acme", namespace="media"))
    assert got is not None and got.id == sent.id


async def test_public_intent_is_for_any_tenant_in_any_namespace(store: Store) -> None:
    sent = await publish(store, visibility="public", namespace="media")
    got = await claim(store, claimer(owner="globex", namespace="elsewhere"))
    assert got is not None and got.id == sent.id


async def test_goal_filter_takes_only_that_goal(store: Store) -> None:
    await publish(store, goal="resize", priority=900)
    await publish(store, goal="resize", visibility="public", priority=900)
    wanted = await publish(store, goal="thumbnail")
    wanted_public = await publish(store, goal="thumbnail", visibility="public")

    first = await claim(store, claimer(goal="thumbnail"))
    second = await claim(store, claimer(goal="thumbnail"))
    assert first is not None and second is not None
    assert {first.id, second.id} == {wanted.id, wanted_public.id}
    assert await claim(store, claimer(goal="thumbnail")) is None
    assert await claim(store, claimer(goal="unknown")) is None


async def test_publisher_filter_narrows_to_that_tenant(store: Store) -> None:
    await publish(store, owner="acme", visibility="public", priority=900)
    globex_public = await publish(store, owner="globex", visibility="public")
    await publish(store, owner="globex", visibility="private")

    got = await claim(store, claimer(owner="acme", publisher="globex"))
    assert got is not None and got.id == globex_public.id
    # globex's private intent stays invisible to acme, publisher filter or not.
    assert await claim(store, claimer(owner="acme", publisher="globex")) is None


async def test_publisher_filter_on_own_name_includes_private_intents(
    store: Store,
) -> None:
    own = await publish(store, owner="acme", visibility="private")
    await publish(store, owner="globex", visibility="public", priority=900)

    got = await claim(store, claimer(owner="acme", publisher="acme"))
    assert got is not None and got.id == own.id
    assert await claim(store, claimer(owner="acme", publisher="acme")) is None


async def test_publisher_filter_with_goal(store: Store) -> None:
    await publish(store, owner="globex", visibility="public", goal="other")
    wanted = await publish(store, owner="globex", visibility="public", goal="resize")
    got = await claim(store, claimer(publisher="globex", goal="resize"))
    assert got is not None and got.id == wanted.id
    assert await claim(store, claimer(publisher="globex", goal="resize")) is None


async def test_targeted_intent_goes_only_to_that_worker(store: Store) -> None:
    private = await publish(store, target_worker="box-1")
    public = await publish(store, visibility="public", target_worker="box-1")

    assert await claim(store, claimer(worker_id=None), worker_id=None) is None
    assert await claim(store, claimer(worker_id="box-2"), worker_id="box-2") is None
    first = await claim(store, claimer(worker_id="box-1"), worker_id="box-1")
    second = await claim(store, claimer(worker_id="box-1"), worker_id="box-1")
    assert first is not None and second is not None
    assert {first.id, second.id} == {private.id, public.id}


async def test_untargeted_intent_goes_to_any_worker(store: Store) -> None:
    sent = await publish(store)
    got = await claim(store, claimer(worker_id="box-9"), worker_id="box-9")
    assert got is not None and got.id == sent.id


async def test_required_capability_needs_an_exact_match(store: Store) -> None:
    for visibility in ("private", "public"):
        await publish(store, visibility=visibility, required_capability="gpu")

    assert await claim(store, claimer(capabilities=())) is None
    assert await claim(store, claimer(capabilities=("gpu2", "GPU", "cpu"))) is None
    first = await claim(store, claimer(capabilities=("cpu", "gpu")))
    second = await claim(store, claimer(capabilities=["gpu"]))
    assert first is not None and first.required_capability == "gpu"
    assert second is not None and second.required_capability == "gpu"
    assert first.id != second.id


async def test_intent_without_capability_goes_to_any_worker(store: Store) -> None:
    sent = await publish(store)
    got = await claim(store, claimer(capabilities=("gpu",)))
    assert got is not None and got.id == sent.id


async def test_future_run_at_is_not_claimable_until_due(store: Store) -> None:
    for visibility in ("private", "public"):
        await publish(store, visibility=visibility, run_at=NOW + 10)

    assert await claim(store, now=NOW + 9.9) is None
    assert await claim(store, now=NOW + 10) is not None
    assert await claim(store, now=NOW + 10) is not None


async def test_claims_follow_priority_then_run_at_then_insertion(
    store: Store,
) -> None:
    # Private and public intents compete in one order.
    low = await publish(store, priority=1, run_at=NOW - 100)
    later = await publish(store, priority=500, run_at=NOW - 5, visibility="public")
    first_in = await publish(store, priority=500, run_at=NOW - 10)
    second_in = await publish(store, priority=500, run_at=NOW - 10, visibility="public")
    third_in = await publish(store, priority=500, run_at=NOW - 10)
    top = await publish(store, priority=1000, run_at=NOW)

    order = []
    while (got := await claim(store)) is not None:
        order.append(got.id)

    assert order == [
        top.id,
        first_in.id,
        second_in.id,
        third_in.id,
        later.id,
        low.id,
    ]


async def test_claim_order_with_goal_filter(store: Store) -> None:
    low = await publish(store, priority=10, visibility="public")
    high = await publish(store, priority=20)
    got = await claim(store, claimer(goal="resize"))
    assert got is not None and got.id == high.id
    got = await claim(store, claimer(goal="resize"))
    assert got is not None and got.id == low.id


async def test_claim_is_not_given_terminal_intents(store: Store) -> None:
    sent = await publish(store)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    await store.intent_fulfill(sent.id, got.claim_token, b"1", "json", NOW)
    assert await claim(store, now=NOW + 1000) is None
