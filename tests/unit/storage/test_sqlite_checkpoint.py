"""The write-ahead log is copied back into the database by a thread of its own
(`checkpoint.py`), so no request's commit waits for the copy, and the log still
starts afresh under steady writes instead of growing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from intent_bus.storage.sqlite import SqliteStore, checkpoint
from intent_bus.storage.sqlite.checkpoint import Checkpointer
from tests.contract.conftest import NOW, new_intent

pytestmark = pytest.mark.anyio


def _log_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def _publish(store: SqliteStore, count: int) -> None:
    for _ in range(count):
        await store.intent_publish(new_intent(), None, NOW)


async def _started(path: Path) -> tuple[SqliteStore, Checkpointer]:
    store = SqliteStore(path)
    await store.start()
    checkpointer = store._writer.checkpointer
    assert checkpointer is not None
    return store, checkpointer


async def _copied(store: SqliteStore, more_than: int) -> bool:
    checkpointer = store._writer.checkpointer
    assert checkpointer is not None
    for _ in range(300):
        if checkpointer.copies > more_than:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_commits_leave_the_copy_to_the_checkpoint_thread(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bus.db")
    await store.start()
    try:
        pages = await store._run(
            lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        )
        assert pages == checkpoint.SAFETY_PAGES  # a backstop only
        await _publish(store, 20)
        assert await _copied(store, 0)  # a second after the last copy
    finally:
        await store.close()


async def test_the_log_starts_afresh_after_each_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a copy that catches up, the log would take every commit's pages
    one after the other: here it stays the size one round of writes needs."""
    monkeypatch.setattr(checkpoint, "IDLE_SECONDS", 0.05)
    path = tmp_path / "bus.db"
    store, checkpointer = await _started(path)
    try:
        sizes = []
        for _ in range(4):
            copies = checkpointer.copies
            await _publish(store, 150)
            assert await _copied(store, copies)
            sizes.append(_log_bytes(path))
        assert sizes[-1] <= sizes[0] * 1.5, sizes
    finally:
        await store.close()


async def test_the_log_stays_bounded_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies run while commits go on; repeating each until it catches up lets
    the log start afresh anyway."""
    monkeypatch.setattr(checkpoint, "EVERY_COMMITS", 50)
    path = tmp_path / "bus.db"
    store = SqliteStore(path)
    await store.start()
    try:
        stop_at = time.monotonic() + 2.0

        async def writer() -> None:
            while time.monotonic() < stop_at:
                await store.intent_publish(new_intent(), None, NOW)

        await asyncio.gather(*(writer() for _ in range(4)))
        checkpointer = store._writer.checkpointer
        assert checkpointer is not None
        assert store._writer.commits > 200
        assert checkpointer.restarts >= 2
    finally:
        await store.close()


async def test_a_reader_of_an_old_snapshot_delays_the_restart_not_the_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RESTART copy gives up on a reader that still needs the log (a long
    console read, say) instead of holding commits back until it ends."""
    monkeypatch.setattr(checkpoint, "IDLE_SECONDS", 0.05)
    path = tmp_path / "bus.db"
    store, checkpointer = await _started(path)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        await _publish(store, 10)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM intents").fetchone()
        restarts, copies = checkpointer.restarts, checkpointer.copies
        await _publish(store, 50)
        assert await _copied(store, copies + 1)  # a whole round ran
        assert checkpointer.restarts == restarts
        reader.execute("ROLLBACK")
        await _publish(store, 10)
        for _ in range(300):
            if checkpointer.restarts > restarts:
                break
            await asyncio.sleep(0.01)
        assert checkpointer.restarts > restarts
    finally:
        reader.close()
        await store.close()


async def test_the_thread_ends_with_the_store(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bus.db")
    await store.start()
    checkpointer = store._writer.checkpointer
    assert checkpointer is not None and checkpointer._thread is not None
    await store.close()
    assert not checkpointer._thread.is_alive()
    # The last connection to close folded the log into the file.
    conn = sqlite3.connect(tmp_path / "bus.db")
    assert conn.execute("SELECT count(*) FROM intents").fetchone() == (0,)
    conn.close()


async def test_an_in_memory_store_has_no_checkpoint_thread() -> None:
    store = SqliteStore(":memory:")
    await store.start()
    try:
        assert store._writer.checkpointer is None
    finally:
        await store.close()
