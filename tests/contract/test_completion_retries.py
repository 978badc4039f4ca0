"""Contract: completions are retry-safe (issue 14, item 2) and leases are bound
to the tenant that claimed them (issue 14, item 5)."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Intent, Store
from intent_bus.storage.errors import LeaseLost
from tests.contract.conftest import NOW, claim, publish

pytestmark = pytest.mark.anyio


async def claimed(store: Store, **overrides: object) -> tuple[Intent, str]:
    await publish(store, **overrides)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    return got, got.claim_token


def retry_delay(attempts: int, base: float) -> float:
    return 10.0


# -- retries -------------------------------------------------------------------
async def test_repeated_fulfill_gets_the_first_outcome(store: Store) -> None:
    got, token = await claimed(store)
    first = await store.intent_fulfill(got.id, token, b"1", "json", NOW, owner="acme")
    again = await store.intent_fulfill(
        got.id, token, b"1", "json", NOW + 5, owner="acme"
    )
    assert again == first
    assert (again.status, again.result, again.completed_at) == ("fulfilled", b"1", NOW)


async def test_repeated_fulfill_with_another_result_is_lease_lost(
    store: Store,
) -> None:
    got, token = await claimed(store)
    await store.intent_fulfill(got.id, token, b"1", "json", NOW)
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, token, b"1", "text", NOW)
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, token, "boom", retry_delay, NOW)
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.result == b"1"


async def test_repeated_fail_gets_the_first_outcome(store: Store) -> None:
    got, token = await claimed(store)
    first = await store.intent_fail(got.id, token, "boom", retry_delay, NOW)
    again = await store.intent_fail(got.id, token, "boom", retry_delay, NOW + 1)
    assert again == first
    assert (again.status, again.run_at, again.claim_attempts) == ("open", NOW + 10, 1)
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, token, "other", retry_delay, NOW + 1)
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, token, None, "json", NOW + 1)


async def test_repeated_fail_that_killed_gets_dead(store: Store) -> None:
    got, token = await claimed(store, max_attempts=1)
    await store.intent_fail(got.id, token, "boom", retry_delay, NOW)
    again = await store.intent_fail(got.id, token, "boom", retry_delay, NOW + 1)
    assert (again.status, again.error, again.completed_at) == ("dead", "boom", NOW)


async def test_a_retry_after_the_next_claim_is_lease_lost(store: Store) -> None:
    got, token = await claimed(store)
    await store.intent_fail(got.id, token, "boom", retry_delay, NOW)
    again = await claim(store, now=NOW + 10)
    assert again is not None and again.id == got.id
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, token, "boom", retry_delay, NOW + 11)
    stored = await store.intent_get(got.id, NOW + 11)
    assert stored is not None and stored.status == "claimed"


async def test_a_retry_after_requeue_is_lease_lost(store: Store) -> None:
    got, token = await claimed(store, max_attempts=1)
    await store.intent_fail(got.id, token, "boom", retry_delay, NOW)
    await store.intent_requeue(got.id, NOW + 1)
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, token, "boom", retry_delay, NOW + 2)


# -- tenant binding --------------------------------------------------------------
async def test_claim_records_the_lease_owner(store: Store) -> None:
    got, _ = await claimed(store, visibility="public", owner="alice")
    assert got.lease_owner == "acme"


async def test_another_tenant_cannot_use_the_token(store: Store) -> None:
    got, token = await claimed(store)
    with pytest.raises(LeaseLost):
        await store.intent_extend(got.id, token, NOW + 90, NOW, owner="bob")
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, token, b"1", "json", NOW, owner="bob")
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, token, "x", retry_delay, NOW, owner="bob")
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.status == "claimed"
    assert stored.lease_expires_at == NOW + 60

    done = await store.intent_fulfill(got.id, token, b"1", "json", NOW, owner="acme")
    assert done.status == "fulfilled"
    with pytest.raises(LeaseLost):  # nor replay the owner's completion
        await store.intent_fulfill(got.id, token, b"1", "json", NOW, owner="bob")
