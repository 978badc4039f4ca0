"""The one SQLite connection, owned by a writer thread with group commit.

Every Store call becomes an *operation*: a function of the connection. The thread
drains whatever operations are queued and runs them in ONE transaction, each
inside its own SAVEPOINT, then commits once and only then resolves the callers'
futures. So an acknowledged write is a committed write, and under load one WAL
commit carries many requests. An operation that raises is rolled back to its
savepoint alone; its exception (translated into a `StoreError`) goes to its
caller and its neighbours commit normally.

A *short* operation (the request path's: one indexed statement or a few) runs on
the event loop instead when the thread is idle: those submitted during one loop
iteration, and the next (which reads the requests that arrived meanwhile), are
run together at its end, as one batch like the thread's, and their futures
resolved right there. A commit costs a WAL frame per page it changed, and the
operations of one batch share pages (the tails of the indexes, a group's
counters): waiting the one iteration carried 2.8 operations per commit where
the same 4 clients got 1.9, for 10% less server CPU per request (the same
server with and without it, alternated). Handing work to the thread and back
costs several times the SQL itself. This is only done with synchronous=NORMAL,
where a commit writes the WAL without waiting for the disk, and without waiting
for the write lock: if another connection holds it, the batch goes to the
thread after all, so the event loop never sleeps in `busy_timeout`.

A `Rider` (the store's queue of nonce rows) writes what waits into every
transaction just before its COMMIT, whoever runs it; `commit_soon` asks for a
transaction when no operation may come to carry those rows.

The write-ahead log is copied back into the database by `Checkpointer`, on a
thread and connection of its own that start and stop with the writer's, so no
commit here waits for that copy (`checkpoint.py`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import quote

from intent_bus.storage.errors import Busy, Conflict, StorageFull, StoreError
from intent_bus.storage.sqlite.checkpoint import SAFETY_PAGES, Checkpointer
from intent_bus.storage.sqlite.url import DEFAULT_CACHE_MIB, DEFAULT_MMAP_MIB

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]

log = logging.getLogger(__name__)

_STOP: Final = object()
_UNIQUE_ERRORS: Final = frozenset(
    {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
)


def translate(exc: BaseException) -> BaseException:
    """Maps a sqlite3 error onto the StoreError family; passes others through."""
    if not isinstance(exc, sqlite3.Error):
        return exc
    name = getattr(exc, "sqlite_errorname", "")
    message = str(exc)
    translated: StoreError
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in message:
        translated = Busy(f"database busy: {message}")
    elif name.startswith("SQLITE_FULL") or "database or disk is full" in message:
        translated = StorageFull(f"disk full: {message}")
    elif name in _UNIQUE_ERRORS or message.startswith("UNIQUE constraint failed"):
        translated = Conflict(message)
    elif name == "SQLITE_CONSTRAINT_TRIGGER":  # a trigger's RAISE(ABORT, why)
        translated = Conflict(message)
    else:
        translated = StoreError(f"sqlite: {message}")
    translated.__cause__ = exc
    return translated


def connect(
    path: str,
    busy_timeout_ms: int,
    synchronous: str = "normal",
    cache_mib: int = DEFAULT_CACHE_MIB,
    mmap_mib: int = DEFAULT_MMAP_MIB,
) -> sqlite3.Connection:
    """Opens the database in WAL mode with the pragmas the store relies on.

    synchronous=NORMAL in WAL mode keeps every committed transaction across a
    process kill (the WAL is in the OS page cache); only a power loss may lose
    the last commits. That is the default promise. synchronous=FULL adds an
    fsync per commit (per batch, with group commit) and survives a power loss.
    """
    # Shared by the writer thread and short operations on the event loop, one
    # at a time under the writer's lock.
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=256
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal" and path != ":memory:":
        raise StoreError(f"could not switch {path!r} to WAL mode (got {mode!r})")
    if synchronous not in ("normal", "full"):
        raise ValueError(f"unknown synchronous mode {synchronous!r}")
    conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")  # in KiB
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA mmap_size = {int(mmap_mib) * 1024 * 1024}")
    # The log is copied back by the checkpoint thread (`checkpoint.py`); this
    # connection does it only if that thread falls far behind.
    conn.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_PAGES}")
    return conn


def read_snapshot(path: str, operation: Callable[[sqlite3.Connection], T]) -> T:
    """Runs `operation` in one read transaction on a fresh read-only connection.

    Blocking: call it from a worker thread. Errors are translated like the
    writer's.
    """
    try:
        conn = sqlite3.connect(
            f"file:{quote(path)}?mode=ro", uri=True, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise translate(exc) from exc
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        return operation(conn)
    except sqlite3.Error as exc:
        raise translate(exc) from exc
    finally:
        conn.close()


class Rider(Protocol):
    """Rows that join whichever transaction commits next (see `nonces.py`)."""

    def __len__(self) -> int:
        """How many rows wait."""

    def write(self, conn: sqlite3.Connection) -> list[Any]:
        """Writes what waits, just before COMMIT; returns it for `restore`."""

    def restore(self, taken: list[Any]) -> None:
        """Takes back what `write` returned: its transaction did not commit."""


def _commit_only(conn: sqlite3.Connection) -> None:
    """The operation of `commit_soon`: nothing but the transaction around it."""


class _Pending:
    """One queued operation and where its outcome goes."""

    __slots__ = ("error", "future", "loop", "operation", "result")

    def __init__(
        self,
        operation: Operation,
        future: asyncio.Future[Any],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.operation = operation
        self.future = future
        self.loop = loop
        self.result: Any = None
        self.error: BaseException | None = None


def _deliver(batch: list[_Pending]) -> None:
    """Runs on the event loop: hands each caller its outcome."""
    for pending in batch:
        if pending.future.done() or pending.operation is _commit_only:
            continue  # the caller gave up (cancelled), or nobody waits
        if pending.error is not None:
            pending.future.set_exception(pending.error)
        else:
            pending.future.set_result(pending.result)


def _live(batch: list[_Pending]) -> list[_Pending]:
    """The operations of a batch to run: not given up by their callers, and not
    `commit_soon`'s (which asks for the transaction alone)."""
    return [
        p for p in batch if p.operation is not _commit_only and not p.future.cancelled()
    ]


class SqliteWriter:
    """Serialises all database work onto one thread and one connection.

    With `group_commit` off, every operation gets its own transaction; that mode
    exists to measure what batching buys.
    """

    def __init__(
        self,
        path: str,
        *,
        group_commit: bool = True,
        max_batch: int = 512,
        busy_timeout_ms: int = 5000,
        synchronous: str = "normal",
        cache_mib: int = DEFAULT_CACHE_MIB,
        mmap_mib: int = DEFAULT_MMAP_MIB,
        inline: bool | None = None,
        rider: Rider | None = None,
    ) -> None:
        self._path = path
        self._rider = rider
        self._inline = synchronous == "normal" if inline is None else inline
        self._lock = threading.Lock()
        """Held by whoever uses the connection: the thread for a batch, or a
        short operation running inline."""
        self._conn: sqlite3.Connection | None = None
        self._inline_batches: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        self._busy_now = busy_timeout_ms
        self._synchronous = synchronous
        self._cache_mib = cache_mib
        self._mmap_mib = mmap_mib
        self._group_commit = group_commit
        self._max_batch = max_batch
        self._busy_timeout_ms = busy_timeout_ms
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.commits = 0
        """Transactions committed so far (operations / commits = batch size)."""
        self.operations = 0
        """Operations run so far, committed or not."""
        self.checkpointer: Checkpointer | None = None
        """Copies the log back into the file (none for an in-memory database)."""

    def start(self) -> None:
        """Starts the thread; it opens the connection itself."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name="intent-bus-sqlite", daemon=True
        )
        self._thread.start()

    async def run(
        self, operation: Callable[[sqlite3.Connection], T], *, short: bool = False
    ) -> T:
        """Runs `operation` in a committed transaction and returns its result.

        Raises what the operation raised (sqlite3 errors translated), or Busy
        when the commit could not take the write lock in time. A `short`
        operation may run inline (see the module's docstring).
        """
        if self._thread is None or self._stopped.is_set():
            raise StoreError("the SQLite store is not running")
        loop = asyncio.get_running_loop()
        if short and self._inline:
            return await self._enqueue_inline(operation, loop)  # type: ignore[no-any-return]
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(operation, future, loop))
        return await future

    def commit_soon(self) -> None:
        """Makes sure a transaction commits soon, without waiting for it: the
        `rider`'s rows go in with it if no other operation's commit takes them
        first."""
        loop = asyncio.get_running_loop()
        if self._inline:
            self._inline_batch(loop)  # commits even if nothing joins it
        else:
            self._queue.put(_Pending(_commit_only, loop.create_future(), loop))

    def _enqueue_inline(
        self, operation: Operation, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Any]:
        """Adds `operation` to this loop's inline batch."""
        future: asyncio.Future[Any] = loop.create_future()
        self._inline_batch(loop).append(_Pending(operation, future, loop))
        return future

    def _inline_batch(self, loop: asyncio.AbstractEventLoop) -> list[_Pending]:
        """This loop's inline batch, run and committed at the end of the current
        loop iteration's next one (`_run_inline`)."""
        batch = self._inline_batches.get(loop)
        if batch is None:
            batch = self._inline_batches[loop] = []
            # After this iteration's callbacks and the next one's I/O.
            loop.call_soon(loop.call_soon, self._run_inline, loop)
        return batch

    def _run_inline(self, loop: asyncio.AbstractEventLoop) -> None:
        """Runs this loop iteration's short operations here, as one group-commit
        batch, if the connection is free and the write lock can be had at once;
        otherwise queues them for the thread."""
        batch = self._inline_batches.pop(loop)
        conn = self._conn
        if conn is None or not self._queue.empty() or not self._lock.acquire(False):
            self._to_thread(batch, loop)
            return
        try:
            if self._conn is None:  # closed meanwhile
                self._to_thread(batch, loop)
                return
            try:
                if self._busy_now != 0:
                    conn.execute("PRAGMA busy_timeout = 0")
                    self._busy_now = 0
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error:
                self._to_thread(batch, loop)  # another connection writes: wait there
                return
            self._execute_safely(conn, batch, begun=True)
        finally:
            self._lock.release()
        _deliver(batch)

    def _to_thread(
        self, batch: list[_Pending], loop: asyncio.AbstractEventLoop
    ) -> None:
        if not batch:  # `commit_soon`'s: the thread commits instead
            batch = [_Pending(_commit_only, loop.create_future(), loop)]
        for pending in batch:
            self._queue.put(pending)
        if self._stopped.is_set():  # the thread is gone: nobody else drains
            self._refuse_leftovers()

    async def stop(self) -> None:
        """Finishes the queued operations, then closes the connection."""
        thread = self._thread
        if thread is None or self._stopped.is_set():
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(thread.join)

    # -- the thread ---------------------------------------------------------
    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        open_error: BaseException | None = None
        try:
            conn = connect(
                self._path,
                self._busy_timeout_ms,
                self._synchronous,
                self._cache_mib,
                self._mmap_mib,
            )
        except BaseException as exc:  # delivered to every caller below
            open_error = translate(exc)
        self._conn = conn
        checkpointer: Checkpointer | None = None
        if conn is not None and self._path != ":memory:":
            checkpointer = self.checkpointer = Checkpointer(
                self._path, lambda: self.commits
            )
            checkpointer.start()
        try:
            while True:
                batch, stop = self._take()
                if batch:
                    if conn is None:
                        for pending in batch:
                            pending.error = open_error
                    else:
                        with self._lock:
                            self._execute_safely(conn, batch)
                    self._resolve(batch)
                if stop:
                    break
        finally:
            if checkpointer is not None:
                checkpointer.stop()
            self._stopped.set()
            with self._lock:
                self._conn = None
                if conn is not None:
                    conn.close()
            self._refuse_leftovers()

    def _refuse_leftovers(self) -> None:
        """Fails operations queued while the thread was stopping."""
        leftovers: list[_Pending] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                item.error = StoreError("the SQLite store is closed")
                leftovers.append(item)
        self._resolve(leftovers)

    def _execute_safely(
        self, conn: sqlite3.Connection, batch: list[_Pending], *, begun: bool = False
    ) -> None:
        """Runs a batch; a failure of the machinery itself fails the whole batch.
        `begun`: the caller has opened the transaction (the inline path)."""
        try:
            if begun:
                live = _live(batch)
                self._transaction(conn, live, savepoints=len(live) > 1, begun=True)
            else:
                self._execute(conn, batch)
        except BaseException as exc:
            log.exception("SQLite writer failed on a batch of %d", len(batch))
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback after a writer failure failed")
            self._abort(batch, StoreError(f"sqlite writer failure: {exc!r}"))

    def _take(self) -> tuple[list[_Pending], bool]:
        """Blocks for one item, then drains what else is queued (group commit)."""
        items = [self._queue.get()]
        if self._group_commit:
            while len(items) < self._max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
        stop = any(item is _STOP for item in items)
        return [item for item in items if item is not _STOP], stop

    def _execute(self, conn: sqlite3.Connection, batch: list[_Pending]) -> None:
        if self._busy_now != self._busy_timeout_ms:  # inline work set it to 0
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            self._busy_now = self._busy_timeout_ms
        live = _live(batch)
        if not live:  # only `commit_soon`: the transaction is the point
            self._transaction(conn, live, savepoints=False)
            return
        if not self._group_commit or len(live) == 1:
            for pending in live:
                self._transaction(conn, [pending], savepoints=False)
            return
        self._transaction(conn, live, savepoints=True)

    def _transaction(
        self,
        conn: sqlite3.Connection,
        batch: list[_Pending],
        *,
        savepoints: bool,
        begun: bool = False,
    ) -> None:
        """Runs `batch` in one transaction; sets each item's result or error."""
        try:
            if not begun:
                conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for pending in batch:
                pending.error = translate(exc)
            return
        done: list[_Pending] = []
        self.operations += len(batch)
        for index, pending in enumerate(batch):
            if savepoints:
                conn.execute("SAVEPOINT op")
            try:
                pending.result = pending.operation(conn)
            except BaseException as exc:
                pending.error = translate(exc)
                if not conn.in_transaction:
                    # SQLite aborted the whole transaction (e.g. disk full): the
                    # earlier operations are gone too; redo the rest afresh.
                    self._abort(done, pending.error)
                    self._transaction(conn, batch[index + 1 :], savepoints=savepoints)
                    return
                if savepoints:
                    conn.execute("ROLLBACK TO op")
                else:
                    conn.execute("ROLLBACK")
                    if self._rider is not None and len(self._rider):
                        self._transaction(conn, [], savepoints=False)
                    return
            if savepoints:
                conn.execute("RELEASE op")
            done.append(pending)
        ridden: list[Any] = []
        try:
            if self._rider is not None:
                ridden = self._rider.write(conn)
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            if ridden:
                self._rider.restore(ridden)  # type: ignore[union-attr]
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._abort(batch, translate(exc))

    @staticmethod
    def _abort(batch: list[_Pending], error: BaseException) -> None:
        for pending in batch:
            pending.result = None
            pending.error = error

    @staticmethod
    def _resolve(batch: list[_Pending]) -> None:
        """Resolves futures with one wake-up per event loop, not one per caller."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for pending in batch:
            by_loop.setdefault(pending.loop, []).append(pending)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, items)
            except RuntimeError:  # that loop is closed; nobody is waiting
                log.debug("dropped %d results for a closed event loop", len(items))
