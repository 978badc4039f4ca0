"""The `store` fixture: every contract test runs once per storage backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from intent_bus.storage import open_store
from intent_bus.storage.base import ClaimQuery, Intent, Lease, NewIntent, Store

NOW = 1_700_000_000.0
"""A fixed clock: tests pass `now` explicitly, so none of them sleeps."""


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """A started, empty store of each backend in turn; closed afterwards."""
    opened = open_store(db_url)
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()


def new_intent(**overrides: Any) -> NewIntent:
    """A valid open intent of tenant `acme` in namespace `default`, due at NOW."""
    intent = NewIntent(
        id=uuid.uuid4().hex,
        owner="acme",
        goal="resize",
        payload=b'{"image":"cat.png"}',
        namespace="default",
        visibility="private",
        priority=100,
        run_at=NOW,
        created_at=NOW,
        max_attempts=3,
        backoff_base=5.0,
    )
    return replace(intent, **overrides)


def claimer(**overrides: Any) -> ClaimQuery:
    """A claim by tenant `acme` in namespace `default`."""
    return replace(ClaimQuery(owner="acme", namespace="default"), **overrides)


def lease(expires_at: float = NOW + 60, worker_id: str | None = "w1") -> Lease:
    """A lease with a fresh token."""
    return Lease(uuid.uuid4().hex, expires_at, worker_id)


async def publish(store: Store, **overrides: Any) -> NewIntent:
    """Publishes `new_intent(**overrides)` and returns it."""
    intent = new_intent(**overrides)
    assert await store.intent_publish(intent, None, intent.created_at) is None
    return intent


async def claim(
    store: Store,
    query: ClaimQuery | None = None,
    now: float = NOW,
    expires_at: float | None = None,
    worker_id: str | None = "w1",
) -> Intent | None:
    """Claims with a fresh 60 s lease (or one expiring at `expires_at`)."""
    granted = lease(now + 60 if expires_at is None else expires_at, worker_id)
    return await store.intent_claim(query or claimer(), granted, now)
