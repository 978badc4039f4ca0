"""Contract: a poll claims as a claim does, and an empty one says when to look
again, in one store call."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Store
from tests.contract.conftest import NOW, claim, claimer, lease, publish

pytestmark = pytest.mark.anyio


async def test_poll_leases_the_best_intent_like_a_claim(store: Store) -> None:
    await publish(store, priority=1)
    best = await publish(store, priority=900)

    got = await store.intent_poll(claimer(), lease(), NOW)

    assert got.intent is not None and got.intent.id == best.id
    assert got.intent.status == "claimed" and got.intent.claim_attempts == 1
    assert got.next_due is None


async def test_empty_poll_on_empty_store_has_nothing_due(store: Store) -> None:
    got = await store.intent_poll(claimer(), lease(), NOW)
    assert got.intent is None and got.next_due is None


async def test_empty_poll_says_when_the_next_intent_it_could_take_is_due(
    store: Store,
) -> None:
    await publish(store, run_at=NOW + 30)
    await publish(store, run_at=NOW + 20, visibility="public", namespace="other")
    await publish(store, run_at=NOW + 5, owner="globex")  # not ours to take

    got = await store.intent_poll(claimer(), lease(), NOW)

    assert got.intent is None
    assert got.next_due == NOW + 20


async def test_poll_that_claims_reports_no_next_due(store: Store) -> None:
    await publish(store)
    await publish(store, run_at=NOW + 30)

    got = await store.intent_poll(claimer(), lease(), NOW)

    assert got.intent is not None and got.next_due is None


async def test_poll_settles_an_expired_lease_and_takes_it_again(store: Store) -> None:
    sent = await publish(store)
    assert await claim(store, expires_at=NOW + 1) is not None

    got = await store.intent_poll(claimer(), lease(NOW + 70), NOW + 2)

    assert got.intent is not None and got.intent.id == sent.id
    assert got.intent.claim_attempts == 2


async def test_poll_kills_expired_lease_with_attempts_spent(store: Store) -> None:
    sent = await publish(store, max_attempts=1)
    assert await claim(store, expires_at=NOW + 1) is not None

    got = await store.intent_poll(claimer(), lease(NOW + 70), NOW + 2)

    assert got.intent is None and got.next_due is None
    dead = await store.intent_get(sent.id, NOW + 2)
    assert dead is not None and dead.status == "dead"
    assert dead.error == "lease expired"
