"""Copies the write-ahead log back into the database on a thread of its own.

Left to SQLite, the copy runs in the commit that fills the log to its mark
(`wal_autocheckpoint`), and every request waiting on that commit waits for the
copy and its two fsyncs: at 4 client loops, one request in 1,000 took 30-40 ms
instead of 1.3 ms with a 10,000-page mark (docs/DEPLOYMENT.md). Here a thread
with a connection of its own copies instead, in SQLite's PASSIVE mode, which
never waits for the writer nor makes it wait: once about `EVERY_COMMITS`
commits have gone by, or a second after the last commit.

Under steady writes a PASSIVE copy ends behind the log's end (commits went on
meanwhile), and SQLite starts the log afresh only once a copy has caught up: a
log that never starts afresh grows without end. So each PASSIVE copy, which
takes the bulk of the pages, is followed by a RESTART one: it waits for the
commit in progress, holds new ones back while it copies the few pages written
meanwhile, and leaves the log to start afresh. Those few milliseconds are all a
request waits (the event loop does not: a commit that finds the log held goes
to the writer thread). Should the thread fall behind anyway, the writer's own
connection still checkpoints at `SAFETY_PAGES`, as SQLite would.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Final

log = logging.getLogger(__name__)

EVERY_COMMITS: Final = 500
"""Commits between copies under load: 5,000 to 10,000 log pages (a commit
writes 10 to 20), about the mark at which the writer used to copy itself."""
IDLE_SECONDS: Final = 1.0
"""A quieter store is copied this long after its last copy, if it committed."""
POLL_SECONDS: Final = 0.1
RESTART_WAIT_MS: Final = 50
"""How long the RESTART copy waits for the commit in progress, and then for
readers of older snapshots (a long console read, say): commits are held back
while it waits, so it gives up soon and tries again next round."""
SAFETY_PAGES: Final = 40_000
"""The writer connection's own mark, reached only if this thread falls behind."""


class Checkpointer:
    """The thread that copies the log of one database file."""

    def __init__(self, path: str, commits: Callable[[], int]) -> None:
        self._path = path
        self._commits = commits
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.copies = 0
        """Checkpoints run so far (two a round)."""
        self.restarts = 0
        """Rounds whose RESTART copy completed: the next commit starts the log
        afresh."""

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="intent-bus-sqlite-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stops the thread (blocking: call it off the event loop)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
        except sqlite3.Error:
            log.exception("the checkpoint thread could not open %s", self._path)
            return
        try:
            copied, copied_at = self._commits(), time.monotonic()
            while not self._stop.wait(POLL_SECONDS):
                commits = self._commits()
                if commits == copied:
                    continue
                if commits - copied < EVERY_COMMITS and (
                    time.monotonic() - copied_at < IDLE_SECONDS
                ):
                    continue
                self._copy(conn)
                copied, copied_at = commits, time.monotonic()
        finally:
            conn.close()

    def _copy(self, conn: sqlite3.Connection) -> None:
        """Copies the bulk of the log, then the rest, and lets it start afresh."""
        for mode in ("PASSIVE", "RESTART"):
            try:
                busy = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[0]
            except sqlite3.Error:
                log.warning("checkpoint of %s failed", self._path, exc_info=True)
                return
            self.copies += 1
        if not busy:
            self.restarts += 1
