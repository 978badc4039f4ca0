"""Replicas that start at the same moment on an empty PostgreSQL database agree on
one schema: every migration is applied exactly once, by whoever got the lock."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from intent_bus.storage.migrate import load_migrations, migrations_dir
from intent_bus.storage.postgres import PostgresStore
from tests.pgutil import fresh_postgres_database

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def _schema_versions(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM schema_version ORDER BY version")
        return [row[0] for row in rows]


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        return {row[0] for row in rows}


def _expected_versions() -> list[int]:
    """Every shipped migration (numbers are assigned per feature, so they may
    have gaps until every feature has landed)."""
    return [m.version for m in load_migrations(migrations_dir("postgres"))]


def test_concurrent_starts_in_threads_apply_each_migration_once() -> None:
    with fresh_postgres_database() as url:
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        async def start_and_use() -> None:
            store = PostgresStore.from_url(url + "?pool_max=1&listen=off")
            barrier.wait(timeout=30)
            await store.start()
            try:
                assert await store.key_list() == []
            finally:
                await store.close()

        def replica() -> None:
            try:
                asyncio.run(start_and_use())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=replica) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        assert _schema_versions(url) == _expected_versions()
        assert {"api_keys", "intents", "idempotency", "nonces", "kv"} <= _tables(url)


STARTER = textwrap.dedent(
    """
    import asyncio, sys, time
    from intent_bus.storage.postgres import PostgresStore

    async def main(url: str, at: float) -> None:
        store = PostgresStore.from_url(url)
        time.sleep(max(0.0, at - time.time()))
        await store.start()
        await store.close()

    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    print("started")
    """
)


@pytest.mark.slow
def test_replica_processes_starting_at_once_come_up_on_one_schema() -> None:
    with fresh_postgres_database() as url:
        # Every process sleeps until one shared instant after its imports are done,
        # so the starts really collide.
        at = time.time() + 3.0
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", STARTER, url, str(at)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            for _ in range(3)
        ]
        outputs = [proc.communicate(timeout=60) for proc in procs]
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
            assert out.strip() == "started"
        assert _schema_versions(url) == _expected_versions()
