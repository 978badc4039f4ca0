"""A batch of fails on PostgreSQL costs a fixed number of statements, whatever
its size, and still sends the wake-ups the single fails sent.

A worker that drains a failing queue sends its verdicts in batches; one lock,
one update and one notify per item made the batch cost what as many single
fails cost, and held the locks of its first items for the whole loop.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg import pq

from intent_bus.storage.base import ClaimQuery, Completion, Lease, NewIntent
from intent_bus.storage.batches import PublishItem
from intent_bus.storage.postgres import PostgresStore
from intent_bus.storage.postgres.limits import FREED_ORIGIN
from intent_bus.storage.postgres.listener import CHANNEL, work_payload
from intent_bus.storage.records import work_of
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

NOW = 1_700_000_000.0
ACME = ClaimQuery(owner="acme", namespace="default")


def intent(max_attempts: int, goal: str = "g") -> NewIntent:
    return NewIntent(
        uuid.uuid4().hex, "acme", goal, b"{}", "default", "private", 100, NOW,
        NOW, max_attempts, 5.0,
    )  # fmt: skip


@pytest.fixture
async def db_url() -> AsyncIterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_store(db_url: str) -> AsyncIterator[PostgresStore]:
    # One pooled connection, so the traced connection is the one used.
    store = PostgresStore.from_url(f"{db_url}?listen=off&pool_min=1&pool_max=1")
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def failing_batch(store: PostgresStore, size: int) -> list[Completion]:
    """Fails of `size` claimed intents, every way a fail can end: reopened,
    dead at max_attempts, cancelled on request, and a stale token."""
    published = [intent(max_attempts=1 + n % 2) for n in range(size)]
    await store.intent_publish_many([PublishItem(i) for i in published], NOW)
    leases = [Lease(uuid.uuid4().hex, NOW + 60, "w1") for _ in published]
    claimed = (await store.intent_poll_many(ACME, leases, NOW)).intents
    assert len(claimed) == size
    await store.intent_cancel(claimed[0].id, "acme", NOW)
    fails = [Completion(i.id, str(i.claim_token), "fail", error="e") for i in claimed]
    fails[1] = Completion(claimed[1].id, "stale-token", "fail", error="e")
    return fails


async def statements_sent(store: PostgresStore, fails: list[Completion]) -> int:
    """How many statements the batch's transaction executed (traced on the
    wire: one Execute message each, BEGIN and COMMIT aside)."""
    with tempfile.TemporaryFile("w+") as trace:
        async with store._pool.connection() as conn:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        outcomes = await store.intent_complete_many(
            fails, lambda *_: 1.0, NOW + 1, owner="acme"
        )
        async with store._pool.connection() as conn:
            conn.pgconn.untrace()
        trace.seek(0)
        messages = [line.split("\t") for line in trace.read().splitlines()]
    statuses = [getattr(o, "status", "lease_lost") for o in outcomes]
    assert statuses[:4] == ["cancelled", "lease_lost", "dead", "open"]
    assert set(statuses[4:]) <= {"open", "dead"}
    return sum(1 for fields in messages if fields[0] == "F" and fields[2] == "Execute")


async def test_a_batch_of_fails_takes_the_same_statements_whatever_its_size(
    postgres_store: PostgresStore,
) -> None:
    small = await statements_sent(
        postgres_store, await failing_batch(postgres_store, 4)
    )
    large = await statements_sent(
        postgres_store, await failing_batch(postgres_store, 24)
    )
    # Lock and read the leases, end them, look up the stale one.
    assert small == large == 3


async def test_a_batch_of_fails_wakes_for_reopened_work_and_freed_slots(
    postgres_store: PostgresStore, db_url: str
) -> None:
    await postgres_store.limit_set("acme", "default", "limited", 5, None, NOW)
    published = [intent(3), intent(1, goal="limited"), intent(1)]
    await postgres_store.intent_publish_many([PublishItem(i) for i in published], NOW)
    leases = [Lease(uuid.uuid4().hex, NOW + 60, "w1") for _ in published]
    claimed = (await postgres_store.intent_poll_many(ACME, leases, NOW)).intents
    fails = [Completion(i.id, str(i.claim_token), "fail", error="e") for i in claimed]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        outcomes = await postgres_store.intent_complete_many(
            fails, lambda *_: 1.0, NOW + 1, owner="acme"
        )
        heard = [n.payload async for n in conn.notifies(timeout=1.0)]
    reopened = next(i for i in published if i.max_attempts == 3)
    assert [getattr(o, "status", None) for o in outcomes].count("open") == 1
    expected = {work_payload(postgres_store._origin, work_of(reopened)), FREED_ORIGIN}
    assert sorted(heard) == sorted(expected)


async def test_a_lone_fulfill_or_fail_uses_the_single_statements(
    postgres_store: PostgresStore,
) -> None:
    """A batch of one (a worker's reporter on a quiet queue) sends the single
    fulfill's or fail's statements, never the array ones, which PostgreSQL
    would plan afresh on every call for one item."""
    published = [intent(3), intent(3)]
    await postgres_store.intent_publish_many([PublishItem(i) for i in published], NOW)
    leases = [Lease(uuid.uuid4().hex, NOW + 60, "w1") for _ in published]
    claimed = (await postgres_store.intent_poll_many(ACME, leases, NOW)).intents
    lone = [
        [Completion(claimed[0].id, str(claimed[0].claim_token), "fulfill", b"1")],
        [Completion(claimed[1].id, str(claimed[1].claim_token), "fail", error="e")],
    ]
    sent: list[str] = []
    for batch in lone:
        with tempfile.TemporaryFile("w+") as trace:
            async with postgres_store._pool.connection() as conn:
                conn.pgconn.trace(trace.fileno())
                conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            [outcome] = await postgres_store.intent_complete_many(
                batch, lambda *_: 1.0, NOW + 1, owner="acme"
            )
            async with postgres_store._pool.connection() as conn:
                conn.pgconn.untrace()
            trace.seek(0)
            sent.append(trace.read())
        assert getattr(outcome, "status", None) in {"fulfilled", "open"}
    # The array statements take the batch through unnest(); the traced Parse
    # messages carry each statement's text the first time it is sent.
    assert sent and all("unnest" not in text.lower() for text in sent), sent
