"""Contract: the timeline records every change of an intent, in order, and
goes with the intent at retention."""

from __future__ import annotations

import pytest

from intent_bus import protocol
from intent_bus.storage.base import IntentEvent, Store
from tests.contract.conftest import NOW, claim, publish

pytestmark = pytest.mark.anyio


def retry_delay(attempts: int, base: float) -> float:
    return 0.0


def kinds(events: list[IntentEvent] | None) -> list[str]:
    assert events is not None
    assert {event.type for event in events} <= set(protocol.EVENT_TYPES)
    return [event.type for event in events]


async def test_a_life_of_failures_expiry_and_requeue(store: Store) -> None:
    published = await publish(store, max_attempts=2)
    first = await claim(store, now=NOW + 1, worker_id="w1")
    assert first is not None and first.claim_token is not None
    await store.intent_fail(first.id, first.claim_token, "boom", retry_delay, NOW + 2)
    second = await claim(store, now=NOW + 3, worker_id="w2")
    assert second is not None
    assert await store.intent_reap(NOW + 100) == 1  # expired: attempts spent
    await store.intent_reopen(published.id, "acme", NOW + 101)

    events = await store.intent_events(published.id, "acme")
    assert kinds(events) == [
        "published",
        "claimed",
        "failed",
        "claimed",
        "lease_expired",
        "dead",
        "requeued",
    ]
    assert events is not None
    assert (events[0].at, events[1].worker, events[1].attempt) == (NOW, "w1", 1)
    assert (events[2].error, events[2].attempt, events[2].at) == ("boom", 1, NOW + 2)
    assert (events[3].worker, events[3].attempt) == ("w2", 2)
    assert (events[4].attempt, events[4].at) == (2, NOW + 100)
    assert events[5].error == "lease expired"


async def test_fulfilled_and_cancelled_lives(store: Store) -> None:
    done = await publish(store)
    got = await claim(store, worker_id="w9")
    assert got is not None and got.claim_token is not None
    await store.intent_fulfill(got.id, got.claim_token, b"1", "json", NOW + 1)
    events = await store.intent_events(done.id, None)
    assert kinds(events) == ["published", "claimed", "fulfilled"]
    assert events is not None and events[2].worker == "w9"

    stopped = await publish(store)
    held = await claim(store, worker_id="w9")
    assert held is not None and held.claim_token is not None
    await store.intent_cancel(stopped.id, "acme", NOW + 1)
    await store.intent_cancel(stopped.id, "acme", NOW + 1)  # twice: one event
    await store.intent_fail(stopped.id, held.claim_token, "x", retry_delay, NOW + 2)
    assert kinds(await store.intent_events(stopped.id, "acme")) == [
        "published",
        "claimed",
        "cancel_requested",
        "failed",
        "cancelled",
    ]

    dropped = await publish(store)
    await store.intent_cancel(dropped.id, None, NOW)
    assert kinds(await store.intent_events(dropped.id, "acme")) == [
        "published",
        "cancelled",
    ]


async def test_events_are_tenant_scoped_and_purged(store: Store) -> None:
    published = await publish(store)
    assert await store.intent_events(published.id, "bob") is None
    assert await store.intent_events("no-such-id", None) is None
    await store.intent_cancel(published.id, "acme", NOW)
    assert await store.intent_purge(NOW + 1) == 1
    assert await store.intent_events(published.id, None) is None
    again = await publish(store, id=published.id)  # nothing left behind
    assert kinds(await store.intent_events(again.id, "acme")) == ["published"]
