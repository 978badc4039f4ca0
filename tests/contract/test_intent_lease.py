"""Contract: fulfil, fail and extend a lease; lease expiry via claim, get and reap."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Intent, Store
from intent_bus.storage.errors import LeaseLost
from tests.contract.conftest import NOW, claim, publish

pytestmark = pytest.mark.anyio


async def claimed(store: Store, **overrides: object) -> Intent:
    """Publishes one intent and claims it with a lease expiring at NOW + 60."""
    await publish(store, **overrides)
    got = await claim(store)
    assert got is not None and got.claim_token is not None
    return got


def token(intent: Intent) -> str:
    assert intent.claim_token is not None
    return intent.claim_token


# -- fulfill -------------------------------------------------------------------
async def test_fulfill_completes_with_the_result(store: Store) -> None:
    got = await claimed(store)
    done = await store.intent_fulfill(
        got.id, token(got), b'{"ok":true}', "json", NOW + 5
    )

    assert done.status == "fulfilled"
    assert (done.result, done.result_type, done.completed_at) == (
        b'{"ok":true}',
        "json",
        NOW + 5,
    )
    stored = await store.intent_get(got.id, NOW + 6)
    assert stored is not None and stored.status == "fulfilled"
    assert stored.result == b'{"ok":true}' and isinstance(stored.result, bytes)


async def test_fulfill_without_result(store: Store) -> None:
    got = await claimed(store)
    done = await store.intent_fulfill(got.id, token(got), None, "json", NOW)
    assert done.status == "fulfilled" and done.result is None


async def test_fulfill_with_wrong_token_is_lease_lost(store: Store) -> None:
    got = await claimed(store)
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, "not-the-token", b"1", "json", NOW)
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.status == "claimed"


async def test_fulfill_of_unknown_intent_is_lease_lost(store: Store) -> None:
    with pytest.raises(LeaseLost):
        await store.intent_fulfill("f" * 32, "token", b"1", "json", NOW)


async def test_fulfill_after_lease_expiry_is_lease_lost(store: Store) -> None:
    got = await claimed(store)
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, token(got), b"1", "json", NOW + 60)


async def test_second_fulfill_of_terminal_intent_is_lease_lost(store: Store) -> None:
    got = await claimed(store)
    await store.intent_fulfill(got.id, token(got), b"1", "json", NOW)
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(got.id, token(got), b"2", "json", NOW)
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.result == b"1"


async def test_stale_token_after_reclaim_is_lease_lost(store: Store) -> None:
    first = await claimed(store)
    second = await claim(store, now=NOW + 61)
    assert second is not None and second.id == first.id
    assert second.claim_token != first.claim_token
    assert second.claim_attempts == 2
    with pytest.raises(LeaseLost):
        await store.intent_fulfill(first.id, token(first), b"1", "json", NOW + 62)
    done = await store.intent_fulfill(first.id, token(second), b"2", "json", NOW + 62)
    assert done.result == b"2"


# -- fail ---------------------------------------------------------------------
async def test_fail_reopens_after_the_retry_delay(store: Store) -> None:
    got = await claimed(store, backoff_base=2.5)
    calls: list[tuple[int, float]] = []

    def delay(attempts: int, base: float) -> float:
        calls.append((attempts, base))
        return 7.0

    failed = await store.intent_fail(got.id, token(got), "boom", delay, NOW + 1)

    assert calls == [(1, 2.5)]
    assert failed.status == "open"
    assert (failed.run_at, failed.error, failed.claim_attempts) == (NOW + 8, "boom", 1)
    assert failed.claim_token is None and failed.completed_at is None
    assert await claim(store, now=NOW + 7.9) is None
    again = await claim(store, now=NOW + 8)
    assert again is not None and again.id == got.id and again.claim_attempts == 2


async def test_fail_kills_when_attempts_are_spent(store: Store) -> None:
    got = await claimed(store, max_attempts=1)
    dead = await store.intent_fail(got.id, token(got), "boom", lambda a, b: 1.0, NOW)
    assert dead.status == "dead"
    assert (dead.error, dead.completed_at, dead.claim_attempts) == ("boom", NOW, 1)
    assert await claim(store, now=NOW + 1000) is None


async def test_fail_with_wrong_token_is_lease_lost(store: Store) -> None:
    got = await claimed(store)
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, "nope", "boom", lambda a, b: 1.0, NOW)
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.status == "claimed" and stored.error is None


async def test_fail_after_expiry_or_on_terminal_intent_is_lease_lost(
    store: Store,
) -> None:
    got = await claimed(store)
    with pytest.raises(LeaseLost):
        await store.intent_fail(got.id, token(got), "late", lambda a, b: 1.0, NOW + 60)
    other = await claimed(store)
    await store.intent_fulfill(other.id, token(other), b"1", "json", NOW)
    with pytest.raises(LeaseLost):
        await store.intent_fail(other.id, token(other), "x", lambda a, b: 1.0, NOW)


# -- extend -------------------------------------------------------------------
async def test_extend_moves_the_lease_expiry(store: Store) -> None:
    got = await claimed(store)
    extended = await store.intent_extend(got.id, token(got), NOW + 300, NOW + 30)
    assert extended.lease_expires_at == NOW + 300
    assert extended.claim_token == got.claim_token and extended.status == "claimed"

    assert await claim(store, now=NOW + 200) is None
    done = await store.intent_fulfill(got.id, token(got), b"1", "json", NOW + 299)
    assert done.status == "fulfilled"


async def test_extend_with_wrong_token_expired_lease_or_terminal_is_lease_lost(
    store: Store,
) -> None:
    got = await claimed(store)
    with pytest.raises(LeaseLost):
        await store.intent_extend(got.id, "nope", NOW + 300, NOW)
    with pytest.raises(LeaseLost):
        await store.intent_extend(got.id, token(got), NOW + 300, NOW + 60)
    other = await claimed(store)
    await store.intent_fulfill(other.id, token(other), b"1", "json", NOW)
    with pytest.raises(LeaseLost):
        await store.intent_extend(other.id, token(other), NOW + 300, NOW)
    with pytest.raises(LeaseLost):
        await store.intent_extend("e" * 32, "t", NOW + 300, NOW)


# -- expiry -------------------------------------------------------------------
async def test_expired_lease_is_claimable_again(store: Store) -> None:
    got = await claimed(store)
    assert await claim(store, now=NOW + 59.9) is None
    again = await claim(store, now=NOW + 60)
    assert again is not None and again.id == got.id
    assert again.claim_attempts == 2 and again.lease_expires_at == NOW + 120


async def test_get_settles_an_expired_lease_back_to_open(store: Store) -> None:
    got = await claimed(store)
    seen = await store.intent_get(got.id, NOW + 61)
    assert seen is not None
    assert (seen.status, seen.claim_token, seen.lease_expires_at) == (
        "open",
        None,
        None,
    )
    assert seen.claim_attempts == 1 and seen.run_at == NOW + 61
    assert seen.completed_at is None


async def test_get_kills_expired_lease_with_attempts_spent(store: Store) -> None:
    got = await claimed(store, max_attempts=1)
    live = await store.intent_get(got.id, NOW + 59)
    assert live is not None and live.status == "claimed"
    seen = await store.intent_get(got.id, NOW + 61)
    assert seen is not None
    assert (seen.status, seen.error, seen.completed_at) == (
        "dead",
        "lease expired",
        NOW + 61,
    )


async def test_reap_settles_every_expired_lease(store: Store) -> None:
    retry = await claimed(store, max_attempts=2)
    spent = await claimed(store, max_attempts=1)
    await publish(store)
    live = await claim(store, expires_at=NOW + 500)
    assert live is not None

    assert await store.intent_reap(NOW + 59) == 0
    assert await store.intent_reap(NOW + 100) == 2
    assert await store.intent_reap(NOW + 100) == 0

    reopened = await store.intent_get(retry.id, NOW + 100)
    killed = await store.intent_get(spent.id, NOW + 100)
    still = await store.intent_get(live.id, NOW + 100)
    assert reopened is not None and reopened.status == "open"
    assert reopened.run_at == NOW + 100
    assert killed is not None
    assert (killed.status, killed.error, killed.completed_at) == (
        "dead",
        "lease expired",
        NOW + 100,
    )
    assert still is not None and still.status == "claimed"


async def test_claim_does_not_return_expired_intent_with_attempts_spent(
    store: Store,
) -> None:
    got = await claimed(store, max_attempts=1)
    assert await claim(store, now=NOW + 61) is None
    seen = await store.intent_get(got.id, NOW + 62)
    assert seen is not None and seen.status == "dead"
    assert seen.error == "lease expired"
