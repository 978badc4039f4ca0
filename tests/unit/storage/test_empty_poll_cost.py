"""An empty poll is one store call: one writer hand-off on SQLite, one round trip
(one implicit transaction) on PostgreSQL, expired leases settled inside it.

Long-polling workers spend most of their time in empty polls, so each extra
transaction there is paid by every idle worker, every few seconds.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from psycopg import pq

from intent_bus.storage.base import ClaimQuery, Lease, NewIntent, Store
from intent_bus.storage.postgres import PostgresStore
from intent_bus.storage.sqlite import SqliteStore
from tests.pgutil import fresh_postgres_database

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0
ACME = ClaimQuery(owner="acme", namespace="default")


def intent(run_at: float = NOW) -> NewIntent:
    return NewIntent(
        uuid.uuid4().hex, "acme", "g", b"{}", "default", "private", 100, run_at,
        NOW, 3, 5.0,
    )  # fmt: skip


def lease(expires_at: float) -> Lease:
    return Lease(uuid.uuid4().hex, expires_at, "w1")


async def expired_lease_and_later_intent(store: Store) -> None:
    """A claimed intent whose lease expires at NOW + 1 (attempts spent, so a
    claim settles it to dead and has nothing to take), and one due at NOW + 50."""
    await store.intent_publish(replace(intent(), max_attempts=1), None, NOW)
    assert await store.intent_claim(ACME, lease(NOW + 1), NOW) is not None
    await store.intent_publish(intent(run_at=NOW + 50), None, NOW)


Call = Callable[[Store], Awaitable[Any]]
EMPTY_CALLS: dict[str, Call] = {
    "poll": lambda store: store.intent_poll(ACME, lease(NOW + 60), NOW + 2),
    "claim": lambda store: store.intent_claim(ACME, lease(NOW + 60), NOW + 2),
}


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore.from_url(f"sqlite:///{tmp_path}/bus.db")
    await store.start()
    yield store
    await store.close()


@pytest.mark.parametrize("call", EMPTY_CALLS)
async def test_empty_call_is_one_writer_operation_on_sqlite(
    sqlite_store: SqliteStore, call: str
) -> None:
    await expired_lease_and_later_intent(sqlite_store)
    before = sqlite_store._writer.operations

    result = await EMPTY_CALLS[call](sqlite_store)

    assert sqlite_store._writer.operations - before == 1
    if call == "poll":
        assert result.intent is None and result.next_due == NOW + 50
    else:
        assert result is None


@pytest.fixture
async def postgres_store() -> AsyncIterator[PostgresStore]:
    with fresh_postgres_database() as url:
        # One pooled connection, so the traced connection is the one used.
        store = PostgresStore.from_url(f"{url}?listen=off&pool_min=1&pool_max=1")
        await store.start()
        try:
            yield store
        finally:
            await store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("call", EMPTY_CALLS)
async def test_empty_call_is_one_round_trip_on_postgres(
    postgres_store: PostgresStore, call: str
) -> None:
    await expired_lease_and_later_intent(postgres_store)
    with tempfile.TemporaryFile("w+") as trace:
        async with postgres_store._pool.connection() as conn:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        result = await EMPTY_CALLS[call](postgres_store)
        async with postgres_store._pool.connection() as conn:
            conn.pgconn.untrace()
        trace.seek(0)
        messages = [line.split("\t") for line in trace.read().splitlines()]

    sent = [fields[2] for fields in messages if fields[0] == "F"]
    # One Sync ends one implicit transaction and is answered once: a single
    # round trip. BEGIN/COMMIT or a second statement's Sync would show here.
    assert sent.count("Sync") == 1, sent
    assert "Query" not in sent, sent
    if call == "poll":
        assert result.intent is None and result.next_due == NOW + 50
    else:
        assert result is None
