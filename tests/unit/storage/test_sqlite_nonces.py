"""SQLite's nonces: checked against the set the process keeps (`SeenNonces`),
kept in a table keyed by time so that a signed request appends one row, and
read back at start, so replay protection survives a restart and an upgrade."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from intent_bus.storage import replay
from intent_bus.storage.migrate import load_migrations, migrations_dir
from intent_bus.storage.sqlite import SqliteStore
from intent_bus.storage.sqlite.nonces import BUCKET_SECONDS, SeenNonces
from intent_bus.storage.sqlite.records import Q

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0
SHIPPED = load_migrations(migrations_dir("sqlite"))


def test_a_nonce_is_seen_once_per_key() -> None:
    seen = SeenNonces()
    assert seen.add("k1", "n", NOW)
    assert not seen.add("k1", "n", NOW + 500)  # in another minute's group too
    assert seen.add("k2", "n", NOW)
    assert len(seen) == 2


def test_forget_takes_back_only_that_nonce() -> None:
    seen = SeenNonces()
    seen.add("k1", "a", NOW)
    seen.add("k1", "b", NOW)
    seen.forget("k1", "a", NOW)
    assert seen.add("k1", "a", NOW + 1)
    assert not seen.add("k1", "b", NOW + 1)


@pytest.mark.parametrize("offset", [0.0, 1.0, BUCKET_SECONDS - 0.5, 3 * BUCKET_SECONDS])
def test_purge_forgets_exactly_what_was_seen_before_the_cutoff(offset: float) -> None:
    """Whole minute groups before the cutoff go, and the group the cutoff falls
    in is filtered entry by entry, as the table's purge deletes rows."""
    seen = SeenNonces()
    times = [NOW + offset + step for step in (-200.0, -1.0, -0.001, 0.0, 0.5, 90.0)]
    for index, at in enumerate(times):
        seen.add("k", f"n{index}", at)
    seen.purge(NOW + offset)
    for index, at in enumerate(times):
        assert seen.add("k", f"n{index}", at) == (at < NOW + offset)


def test_nonce_purge_walks_the_head_of_the_time_keyed_table(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "plan.db")
    for migration in SHIPPED:
        conn.executescript(migration.sql)
    purge = Q["nonce_purge"].replace(":before", "1.0").replace(":limit", "10")
    plan = " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + purge))
    conn.close()
    assert "USING PRIMARY KEY (seen_at<?)" in plan, plan


async def test_nonces_survive_a_restart_and_their_purge(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    first = SqliteStore(path)
    await first.start()
    try:
        assert await first.nonce_remember("k", "old", NOW)
        assert await first.nonce_remember("k", "new", NOW + 100)
    finally:
        await first.close()
    second = SqliteStore(path)
    await second.start()
    try:
        assert not await second.nonce_remember("k", "old", NOW + 101)
        assert not await second.nonce_remember("k", "new", NOW + 101)
        assert await second.nonce_purge(NOW + 50) == 1
        assert await second.nonce_remember("k", "old", NOW + 102)
    finally:
        await second.close()
    third = SqliteStore(path)
    await third.start()
    try:  # the purge reached the table too, and "old" was kept again
        assert not await third.nonce_remember("k", "old", NOW + 103)
        rows = sqlite3.connect(path).execute("SELECT count(*) FROM nonces").fetchone()
        assert rows == (2,)
    finally:
        await third.close()


async def test_nonces_kept_before_the_upgrade_are_still_refused(tmp_path: Path) -> None:
    """Migration 0012 re-keys the table: nonces written by the older schema
    come through it and are refused after the upgrade."""
    path = tmp_path / "bus.db"
    old = SqliteStore(path, migrations=[m for m in SHIPPED if m.version < 12])
    await old.start()
    await old.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(
        "INSERT INTO nonces (key_id, nonce, seen_at) VALUES ('k', 'before', ?)", (NOW,)
    )
    raw.close()
    new = SqliteStore(path)
    await new.start()
    try:
        assert not await new.nonce_remember("k", "before", NOW + 1)
        assert await new.nonce_remember("k", "after", NOW + 1)
    finally:
        await new.close()


async def test_a_cancelled_request_keeps_its_nonce_taken(tmp_path: Path) -> None:
    """A request cancelled while its operation runs may yet have committed: its
    nonce stays taken rather than let a replay of it through."""
    store = SqliteStore(tmp_path / "bus.db", group_commit=False)
    await store.start()
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def slow(conn: sqlite3.Connection) -> None:
        # On the writer thread (the operation is not `short`).
        loop.call_soon_threadsafe(started.set)
        conn.execute("SELECT 1")
        time.sleep(0.2)

    async def request() -> None:
        replay.defer("k", "n-cancel", NOW)
        try:
            await store._run(slow)
        finally:
            replay.clear()

    try:
        task = asyncio.create_task(request())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not await store.nonce_remember("k", "n-cancel", NOW)
    finally:
        await store.close()
