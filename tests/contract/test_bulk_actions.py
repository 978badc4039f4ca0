"""Contract: bulk requeue (dead) and cancel (open) by filter, in batches."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import BulkFilter, Store
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


def retry_delay(attempts: int, base: float) -> float:
    return 0.0


async def kill(store: Store, error: str, **overrides: object) -> str:
    published = await publish(store, max_attempts=1, **overrides)
    query = claimer(
        owner=published.owner, namespace=published.namespace, goal=published.goal
    )
    got = await claim(store, query)
    assert got is not None and got.id == published.id and got.claim_token
    await store.intent_fail(got.id, got.claim_token, error, retry_delay, NOW)
    return got.id


async def run(store: Store, action: str, match: BulkFilter, limit: int) -> int:
    total = 0
    while True:
        done = await store.intent_bulk_step(
            action,  # type: ignore[arg-type]
            match,
            NOW + 1,
            limit,
        )
        total += done
        if done < limit:
            return total


async def test_bulk_requeue_by_error_substring_in_batches(store: Store) -> None:
    matching = [await kill(store, f"Timeout 100%_{i}", goal="a") for i in range(5)]
    await kill(store, "refused", goal="a")
    await kill(store, "timeout elsewhere", goal="b")
    await kill(store, "timeout of bob", goal="a", owner="bob")
    match = BulkFilter("dead", owner="acme", goal="a", error_contains="TIMEOUT 100%_")
    assert await store.intent_bulk_count(match) == 5
    assert await run(store, "requeue", match, limit=2) == 5
    assert await store.intent_bulk_count(match) == 0
    for intent_id in matching:
        stored = await store.intent_get(intent_id, NOW + 1)
        assert stored is not None
        assert (stored.status, stored.claim_attempts, stored.error) == ("open", 0, None)
        events = await store.intent_events(intent_id, None)
        assert events is not None and events[-1].type == "requeued"
    everyone = BulkFilter("dead")
    assert await store.intent_bulk_count(everyone) == 3


async def test_bulk_cancel_open_only(store: Store) -> None:
    opened = [await publish(store, namespace="ns1") for _ in range(3)]
    await publish(store, namespace="ns2")
    await publish(store, namespace="ns1", owner="bob")
    await kill(store, "x", namespace="ns1", goal="other")
    match = BulkFilter("open", owner="acme", namespace="ns1")
    assert await store.intent_bulk_count(match) == 3
    assert await run(store, "cancel", match, limit=500) == 3
    for intent in opened:
        stored = await store.intent_get(intent.id, NOW + 1)
        assert stored is not None
        assert (stored.status, stored.completed_at) == ("cancelled", NOW + 1)
    assert await store.intent_bulk_count(BulkFilter("open")) == 2
