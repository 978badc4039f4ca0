"""SQLite's nonces: checked against the set the process keeps (`SeenNonces`),
written to a table keyed by time with the next commit (`NonceRows`), and read
back at start, so replay protection survives a restart and an upgrade."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from intent_bus.storage.errors import NotFound
from intent_bus.storage.migrate import load_migrations, migrations_dir
from intent_bus.storage.sqlite import SqliteStore
from intent_bus.storage.sqlite.nonces import BUCKET_SECONDS, NonceRows, SeenNonces
from intent_bus.storage.sqlite.records import Q
from tests.contract.conftest import new_intent

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0
SHIPPED = load_migrations(migrations_dir("sqlite"))


def test_a_nonce_is_seen_once_per_key() -> None:
    seen = SeenNonces()
    assert seen.add("k1", "n", NOW)
    assert not seen.add("k1", "n", NOW + 500)  # in another minute's group too
    assert seen.add("k2", "n", NOW)
    assert len(seen) == 2


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


def _kept(path: Path) -> set[tuple[str, str]]:
    """The nonces in the table, read as a restart would."""
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute("SELECT key_id, nonce FROM nonces"))
    finally:
        conn.close()


async def test_a_nonce_rides_in_the_commit_of_the_request_s_write(
    tmp_path: Path,
) -> None:
    """Checked in memory, then written by the transaction of the operation the
    request hands the writer next: one commit for both, and never the
    operation's without the nonce's row."""
    path = tmp_path / "bus.db"
    store = SqliteStore(path)
    await store.start()
    try:
        commits = store._writer.commits
        assert await store.nonce_remember("k", "n-1", NOW)
        await store.intent_publish(new_intent(), None, NOW)
        assert _kept(path) == {("k", "n-1")}
        assert store._writer.commits == commits + 1
    finally:
        await store.close()


async def _wait_kept(path: Path) -> set[tuple[str, str]]:
    for _ in range(300):
        if kept := _kept(path):
            return kept
        await asyncio.sleep(0.01)
    return set()


@pytest.mark.parametrize("inline", [True, False])
async def test_a_nonce_of_a_request_that_writes_nothing_is_committed_soon(
    tmp_path: Path, inline: bool
) -> None:
    path = tmp_path / "bus.db"
    store = SqliteStore(path, synchronous="normal" if inline else "full")
    await store.start()
    try:
        assert await store.nonce_remember("k", "read-only", NOW)
        assert await _wait_kept(path) == {("k", "read-only")}
    finally:
        await store.close()


async def test_a_commit_asked_for_while_the_connection_is_busy_still_comes(
    tmp_path: Path,
) -> None:
    """The loop's commit finds the connection taken and leaves it to the
    writer thread, which commits the nonce once the connection is free."""
    path = tmp_path / "bus.db"
    store = SqliteStore(path)
    await store.start()
    try:
        with store._writer._lock:
            assert await store.nonce_remember("k", "while-busy", NOW)
            await asyncio.sleep(0.05)  # the loop's turn to commit goes by
        assert await _wait_kept(path) == {("k", "while-busy")}
    finally:
        await store.close()


@pytest.mark.parametrize("inline", [True, False])
async def test_a_nonce_stays_taken_and_kept_when_the_operation_fails(
    tmp_path: Path, inline: bool
) -> None:
    """The nonce is taken as the request is verified, whatever its operation
    does; a failed operation's rollback does not strand its row."""
    path = tmp_path / "bus.db"
    store = SqliteStore(path, synchronous="normal" if inline else "full")
    await store.start()

    def failing(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT 1")
        raise NotFound("no such intent")

    try:
        assert await store.nonce_remember("k", "n-fail", NOW)
        with pytest.raises(NotFound):
            await store._run(failing, short=True)
        assert _kept(path) == {("k", "n-fail")}
        assert not await store.nonce_remember("k", "n-fail", NOW + 1)
    finally:
        await store.close()


def test_rows_of_a_transaction_that_did_not_commit_are_written_again() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE nonces (seen_at REAL, key_id TEXT, nonce TEXT)")
    rows = NonceRows(Q["nonce_remember"])
    assert rows.add("k", "a", NOW)  # the first asks for a commit
    assert not rows.add("k", "b", NOW)  # one is on its way
    conn.execute("BEGIN")
    taken = rows.write(conn)
    assert len(rows) == 0 and not rows.commit_due
    conn.execute("ROLLBACK")
    rows.restore(taken)
    assert rows.add("k", "c", NOW)  # the commit it asked for went by
    conn.execute("BEGIN")
    rows.write(conn)
    conn.execute("COMMIT")
    assert [r[0] for r in conn.execute("SELECT nonce FROM nonces ORDER BY rowid")] == [
        "a",
        "b",
        "c",
    ]


def test_rows_whose_insert_fails_wait_for_the_next_commit() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    rows = NonceRows(Q["nonce_remember"])
    rows.add("k", "a", NOW)
    with pytest.raises(sqlite3.OperationalError):  # no table yet
        rows.write(conn)
    assert len(rows) == 1
    conn.execute("CREATE TABLE nonces (seen_at REAL, key_id TEXT, nonce TEXT)")
    rows.write(conn)
    assert conn.execute("SELECT key_id, nonce FROM nonces").fetchall() == [("k", "a")]
