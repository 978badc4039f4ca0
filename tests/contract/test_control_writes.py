"""Contract: cancel and requeue of one intent (issue 9's control writes)."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Store
from intent_bus.storage.errors import Conflict, LeaseLost, NotFound
from tests.contract.conftest import NOW, claim, publish

pytestmark = pytest.mark.anyio


def retry_delay(attempts: int, base: float) -> float:
    return 0.0


async def test_cancel_of_an_open_intent_is_terminal_at_once(store: Store) -> None:
    published = await publish(store)
    done = await store.intent_cancel(published.id, "acme", NOW + 1)
    assert (done.status, done.completed_at, done.cancel_requested) == (
        "cancelled",
        NOW + 1,
        False,
    )
    assert await claim(store, now=NOW + 2) is None
    stored = await store.intent_get(published.id, NOW + 2)
    assert stored is not None and stored.status == "cancelled"
    with pytest.raises(Conflict):
        await store.intent_cancel(published.id, "acme", NOW + 3)


async def test_cancel_of_a_claimed_intent_asks_its_worker(store: Store) -> None:
    await publish(store)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    asked = await store.intent_cancel(got.id, None, NOW + 1)
    assert (asked.status, asked.cancel_requested) == ("claimed", True)
    again = await store.intent_cancel(got.id, "acme", NOW + 1)
    assert again.cancel_requested
    extended = await store.intent_extend(got.id, got.claim_token, NOW + 90, NOW + 2)
    assert extended.cancel_requested
    done = await store.intent_fulfill(got.id, got.claim_token, b"1", "json", NOW + 3)
    assert (done.status, done.result, done.completed_at) == ("cancelled", None, NOW + 3)
    # Retry-safe as any completion: the repeat is answered with the same row.
    repeat = await store.intent_fulfill(got.id, got.claim_token, b"1", "json", NOW + 4)
    assert repeat == done


async def test_a_fail_after_cancel_ends_cancelled(store: Store) -> None:
    await publish(store)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    await store.intent_cancel(got.id, "acme", NOW + 1)
    done = await store.intent_fail(got.id, got.claim_token, "x", retry_delay, NOW + 2)
    assert (done.status, done.completed_at) == ("cancelled", NOW + 2)
    assert await claim(store, now=NOW + 3) is None


async def test_lease_expiry_after_cancel_ends_cancelled(store: Store) -> None:
    await publish(store)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    await store.intent_cancel(got.id, "acme", NOW + 1)
    assert await store.intent_reap(NOW + 61) == 1
    stored = await store.intent_get(got.id, NOW + 61)
    assert stored is not None
    assert (stored.status, stored.completed_at, stored.error) == (
        "cancelled",
        NOW + 61,
        None,
    )
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, got.claim_token, None, "json", NOW + 62)


async def test_cancel_and_requeue_are_tenant_scoped(store: Store) -> None:
    published = await publish(store)
    with pytest.raises(NotFound):
        await store.intent_cancel(published.id, "bob", NOW)
    with pytest.raises(NotFound):
        await store.intent_cancel("no-such-id", None, NOW)
    await store.intent_cancel(published.id, "acme", NOW)
    with pytest.raises(NotFound):
        await store.intent_reopen(published.id, "bob", NOW)
    stored = await store.intent_get(published.id, NOW)
    assert stored is not None and stored.status == "cancelled"


async def test_requeue_reopens_cancelled_and_dead_only(store: Store) -> None:
    published = await publish(store, max_attempts=1)
    with pytest.raises(Conflict):
        await store.intent_reopen(published.id, "acme", NOW)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    await store.intent_fail(got.id, got.claim_token, "x", retry_delay, NOW + 1)
    reopened = await store.intent_reopen(got.id, "acme", NOW + 2)
    assert (reopened.status, reopened.claim_attempts, reopened.error) == (
        "open",
        0,
        None,
    )
    await store.intent_cancel(got.id, None, NOW + 3)
    again = await store.intent_reopen(got.id, None, NOW + 4)
    assert (again.status, again.run_at, again.completed_at) == ("open", NOW + 4, None)
    retaken = await claim(store, now=NOW + 5)
    assert retaken is not None and retaken.id == got.id


async def test_cancelled_intents_go_at_retention(store: Store) -> None:
    published = await publish(store)
    await store.intent_cancel(published.id, "acme", NOW)
    assert await store.intent_purge(NOW + 1) == 1
    assert await store.intent_get(published.id, NOW + 1) is None
