"""The queue table vacuums early on PostgreSQL (a migration sets it)."""

from __future__ import annotations

import psycopg
import pytest

from intent_bus.storage.postgres import PostgresStore
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]


async def test_intents_table_has_aggressive_autovacuum() -> None:
    with fresh_postgres_database() as url:
        store = PostgresStore.from_url(url)
        await store.start()
        await store.close()
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT reloptions FROM pg_class WHERE relname = 'intents'"
            ).fetchone()
    assert row is not None
    assert "autovacuum_vacuum_scale_factor=0.01" in row[0]
