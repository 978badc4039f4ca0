"""Group commit on the SQLite writer thread: one transaction per batch, failures
isolated to their own operation, errors translated, nothing on the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from intent_bus.storage.errors import Busy, Conflict, StoreError
from intent_bus.storage.sqlite.writer import SqliteWriter, translate

pytestmark = pytest.mark.anyio


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[SqliteWriter]:
    started = SqliteWriter(str(tmp_path / "w.db"), busy_timeout_ms=50)
    started.start()
    await started.run(
        lambda c: c.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    )
    yield started
    await started.stop()


def insert(key: str, fail: bool = False) -> Any:
    def op(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO t VALUES (?, 1)", (key,))
        if fail:
            raise ValueError(f"failing after inserting {key}")
        return key

    return op


def keys(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT k FROM t ORDER BY k")]


async def test_operations_run_off_the_event_loop_thread(writer: SqliteWriter) -> None:
    loop_thread = threading.get_ident()
    ran_on = await writer.run(lambda conn: threading.get_ident())
    assert ran_on != loop_thread


async def test_queued_operations_share_one_commit_and_fail_alone(
    writer: SqliteWriter,
) -> None:
    gate = threading.Event()
    blocker = asyncio.ensure_future(writer.run(lambda conn: gate.wait(10)))
    await asyncio.sleep(0.05)  # let the writer pick up the blocker first
    commits_before = writer.commits

    batch = [
        asyncio.ensure_future(writer.run(insert("a"))),
        asyncio.ensure_future(writer.run(insert("b", fail=True))),
        asyncio.ensure_future(writer.run(insert("c"))),
    ]
    await asyncio.sleep(0)  # all three are queued behind the blocker
    gate.set()
    await blocker
    results = await asyncio.gather(*batch, return_exceptions=True)

    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], ValueError)
    assert await writer.run(keys) == ["a", "c"]
    # The blocker's own commit, then one for the whole batch (keys() adds one).
    assert writer.commits - commits_before <= 3


async def test_an_acknowledged_write_is_visible_to_another_connection(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    await writer.run(insert("durable"))
    other = sqlite3.connect(tmp_path / "w.db")
    try:
        assert keys(other) == ["durable"]
    finally:
        other.close()


async def test_unique_violation_becomes_conflict(writer: SqliteWriter) -> None:
    await writer.run(insert("x"))
    with pytest.raises(Conflict) as raised:
        await writer.run(insert("x"))
    assert isinstance(raised.value.__cause__, sqlite3.IntegrityError)


async def test_write_lock_held_elsewhere_becomes_busy(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy):
            await writer.run(insert("blocked"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await writer.run(insert("later")) == "later"


async def test_cancelled_caller_does_not_break_the_writer(writer: SqliteWriter) -> None:
    gate = threading.Event()
    blocker = asyncio.ensure_future(writer.run(lambda conn: gate.wait(10)))
    await asyncio.sleep(0.05)
    doomed = asyncio.ensure_future(writer.run(insert("never")))
    await asyncio.sleep(0)
    doomed.cancel()
    gate.set()
    await blocker
    assert await writer.run(insert("after")) == "after"
    assert "after" in await writer.run(keys)


async def test_calls_after_stop_are_refused(tmp_path: Path) -> None:
    stopped = SqliteWriter(str(tmp_path / "s.db"))
    stopped.start()
    await stopped.stop()
    with pytest.raises(StoreError):
        await stopped.run(lambda conn: None)


async def test_unopenable_database_fails_each_call(tmp_path: Path) -> None:
    broken = SqliteWriter(str(tmp_path / "missing-dir" / "x.db"))
    broken.start()
    try:
        with pytest.raises(StoreError):
            await broken.run(lambda conn: None)
    finally:
        await broken.stop()


def test_translate_leaves_foreign_exceptions_alone() -> None:
    error = KeyError("x")
    assert translate(error) is error
    assert isinstance(translate(sqlite3.OperationalError("database is locked")), Busy)
    assert type(translate(sqlite3.OperationalError("disk I/O error"))) is StoreError
