"""The PostgreSQL store prepares its hot statements once per connection, and
none with ``?prepare=off`` (for poolers that cannot keep a session's prepared
statements, such as PgBouncer in transaction mode)."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import ClaimQuery, Lease, NewIntent
from intent_bus.storage.postgres import PostgresStore
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

NOW = 1_700_000_000.0


async def _prepared_after_a_job(options: str) -> set[str]:
    """The statements prepared on the store's one connection after a job."""
    with fresh_postgres_database() as url:
        store = PostgresStore.from_url(
            f"{url}?listen=off&pool_min=1&pool_max=1&{options}"
        )
        await store.start()
        try:
            intent = NewIntent(
                id="i1",
                owner="acme",
                goal="resize",
                payload=b"{}",
                namespace="default",
                visibility="private",
                priority=100,
                run_at=NOW,
                created_at=NOW,
                max_attempts=3,
                backoff_base=5.0,
            )
            await store.intent_publish(intent, None, NOW)
            polled = await store.intent_poll(
                ClaimQuery(owner="acme", namespace="default"),
                Lease("t1", NOW + 60, "w1"),
                NOW,
            )
            assert polled.intent is not None
            await store.intent_fulfill("i1", "t1", b"1", "json", NOW)
            async with store._pool.connection() as conn:
                cur = await conn.execute(
                    "SELECT statement FROM pg_prepared_statements", prepare=False
                )
                return {row["statement"] for row in await cur.fetchall()}
        finally:
            await store.close()


async def test_a_jobs_statements_are_prepared_by_default() -> None:
    prepared = await _prepared_after_a_job("")
    assert len(prepared) >= 4  # insert, settle, claim, next due, fulfill
    assert any("INSERT INTO intents" in sql for sql in prepared)
    assert any("FOR UPDATE SKIP LOCKED" in sql for sql in prepared)


async def test_prepare_off_prepares_nothing() -> None:
    assert await _prepared_after_a_job("prepare=off") == set()
