"""Short operations run on the event loop, batched per loop iteration, when the
writer thread is idle:
committed before they return, failures rolled back and translated, and never
waiting for a write lock held elsewhere (they go to the thread instead)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from intent_bus.storage.errors import Conflict, StoreError
from intent_bus.storage.sqlite.writer import SqliteWriter

pytestmark = pytest.mark.anyio


async def started(path: Path, **options: object) -> SqliteWriter:
    writer = SqliteWriter(str(path), busy_timeout_ms=2000, **options)  # type: ignore[arg-type]
    writer.start()
    await writer.run(lambda c: c.execute("CREATE TABLE t (k TEXT PRIMARY KEY)"))
    return writer


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[SqliteWriter]:
    running = await started(tmp_path / "w.db")
    yield running
    await running.stop()


def count(path: Path) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT count(*) FROM t").fetchone()[0])


async def test_a_short_operation_on_an_idle_writer_runs_inline_and_commits(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    here = threading.get_ident()
    commits = writer.commits
    ran_on = await writer.run(
        lambda c: (c.execute("INSERT INTO t VALUES ('a')"), threading.get_ident())[1],
        short=True,
    )
    assert ran_on == here and writer.commits == commits + 1
    assert count(tmp_path / "w.db") == 1  # committed: another connection sees it


async def test_an_inline_failure_is_rolled_back_and_translated(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    await writer.run(lambda c: c.execute("INSERT INTO t VALUES ('a')"), short=True)

    def twice(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('b')")
        conn.execute("INSERT INTO t VALUES ('a')")

    with pytest.raises(Conflict):
        await writer.run(twice, short=True)
    with pytest.raises(ValueError):
        await writer.run(lambda c: int("x"), short=True)
    assert count(tmp_path / "w.db") == 1


async def test_a_write_lock_held_elsewhere_sends_it_to_the_thread(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    here = threading.get_ident()
    done = asyncio.ensure_future(
        writer.run(
            lambda c: (c.execute("INSERT INTO t VALUES ('x')"), threading.get_ident())[
                1
            ],
            short=True,
        )
    )
    # The event loop is not held in busy_timeout: it keeps running meanwhile.
    await asyncio.sleep(0.2)
    assert not done.done()
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(done, 5) != here
    # ... and once the lock is free, short operations run inline again.
    ran_on = await writer.run(lambda c: threading.get_ident(), short=True)
    assert ran_on == here


async def test_synchronous_full_never_runs_inline(tmp_path: Path) -> None:
    writer = await started(tmp_path / "f.db", synchronous="full")
    try:
        ran_on = await writer.run(lambda c: threading.get_ident(), short=True)
        assert ran_on != threading.get_ident()
    finally:
        await writer.stop()


async def test_short_operations_of_one_loop_turn_share_a_commit_and_fail_alone(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    commits = writer.commits

    def insert(key: str) -> object:
        return lambda c: c.execute("INSERT INTO t VALUES (?)", (key,)).rowcount

    outcomes = await asyncio.gather(
        *(writer.run(insert(k), short=True) for k in ("a", "b", "a", "c")),
        return_exceptions=True,
    )
    assert outcomes[:2] == [1, 1] and outcomes[3] == 1
    assert isinstance(outcomes[2], Conflict)
    assert writer.commits == commits + 1
    assert count(tmp_path / "w.db") == 3


async def test_short_operations_racing_a_stop_are_answered(tmp_path: Path) -> None:
    writer = await started(tmp_path / "s.db")
    late = asyncio.ensure_future(writer.run(lambda c: 1, short=True))
    await asyncio.sleep(0)  # queued for the end of this loop turn
    await writer.stop()
    # Run before the stop or refused after it: either way, never left hanging.
    try:
        assert await asyncio.wait_for(late, 5) == 1
    except StoreError:
        pass


async def test_operations_of_the_next_loop_iteration_share_the_commit(
    writer: SqliteWriter, tmp_path: Path
) -> None:
    """An operation submitted in the iteration after another's (as a second
    client's request, read a moment later, often is) commits with it."""
    loop = asyncio.get_running_loop()
    commits = writer.commits
    tasks: list[asyncio.Future[object]] = []

    def submit(key: str) -> None:
        insert = f"INSERT INTO t VALUES ('{key}')"
        tasks.append(
            asyncio.ensure_future(writer.run(lambda c: c.execute(insert), short=True))
        )

    submit("a")  # its task submits in the next iteration...
    loop.call_soon(submit, "b")  # ...and this one's in the iteration after
    while len(tasks) < 2:
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert writer.commits == commits + 1
    assert count(tmp_path / "w.db") == 2
