"""Housekeeping runs on every replica at once: on PostgreSQL, concurrent reaps and
purges from several stores split the work between them, each row handled once,
with no deadlock and no lock wait turning into an error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from intent_bus.storage.postgres import PostgresStore
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]

NOW = 1_700_000_000.0
EXPIRED_LEASES = 3000
OLD_RESULTS = 12000
EXPIRED_KV = 6000
OLD_NONCES = 6000


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[list[PostgresStore], str]]:
    with fresh_postgres_database() as url:
        stores = [PostgresStore.from_url(url + "?listen=off") for _ in range(3)]
        for store in stores:
            await store.start()
        try:
            yield stores, url
        finally:
            for store in stores:
                await store.close()


def _fill(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO intents (
                id, owner, goal, payload, namespace, visibility, priority, run_at,
                created_at, max_attempts, backoff_base, status, claim_attempts,
                claim_token, lease_expires_at, completed_at, updated_at
            )
            SELECT md5(g::text), 'acme', 'g', '\\x31', 'default', 'private', 100, 0,
                   0, 2, 1.0,
                   CASE WHEN g <= %(leases)s THEN 'claimed' ELSE 'fulfilled' END,
                   1 + g %% 2,
                   CASE WHEN g <= %(leases)s THEN 't' || g END,
                   CASE WHEN g <= %(leases)s THEN %(now)s - 1 END,
                   CASE WHEN g > %(leases)s THEN 1.0 END,
                   0
            FROM generate_series(1, %(leases)s + %(results)s) AS g
            """,
            {"leases": EXPIRED_LEASES, "results": OLD_RESULTS, "now": NOW},
        )
        conn.execute(
            "INSERT INTO kv (owner, key, value, expires_at, updated_at)"
            " SELECT 'acme', 'k' || g, '\\x31', 1.0, 0"
            " FROM generate_series(1, %s) AS g",
            (EXPIRED_KV,),
        )
        conn.execute(
            "INSERT INTO nonces (key_id, nonce, seen_at)"
            " SELECT 'key', 'n' || g, 1.0 FROM generate_series(1, %s) AS g",
            (OLD_NONCES,),
        )


async def test_every_replica_housekeeping_at_once_handles_each_row_once(
    replicas: tuple[list[PostgresStore], str],
) -> None:
    stores, url = replicas
    _fill(url)

    async def housekeeping(store: PostgresStore) -> tuple[int, int, int, int]:
        return (
            await store.intent_reap(NOW),
            await store.intent_purge(NOW - 3600),
            await store.kv_purge(NOW),
            await store.nonce_purge(NOW - 3600),
        )

    rounds = [
        await asyncio.gather(*(housekeeping(store) for store in stores))
        for _ in range(2)
    ]
    totals = [
        sum(column) for column in zip(*(r for rs in rounds for r in rs), strict=True)
    ]
    assert totals == [EXPIRED_LEASES, OLD_RESULTS, EXPIRED_KV, OLD_NONCES]

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM intents GROUP BY status"
        ).fetchall()
        left = {row[0]: row[1] for row in rows}
        assert conn.execute("SELECT count(*) FROM kv").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM nonces").fetchone() == (0,)
    # Half the leases had attempts left and reopened; the other half died.
    assert left == {"open": EXPIRED_LEASES // 2, "dead": EXPIRED_LEASES // 2}
