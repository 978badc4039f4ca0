"""The nonces of signed requests that this process has accepted, in memory.

Replay protection must refuse a nonce that its key has used within the window.
Asking the table for it cost a signed request more than anything else it does
beyond an unsigned one: the insert landed on a random page of a b-tree keyed
(key_id, nonce), plus a page of the index that purges walked, both written to
the WAL and again at checkpoint. One process owns an SQLite file (docs/
DEPLOYMENT.md), so the set this process keeps is complete: the answer comes
from here, and the table, keyed by time so its inserts append, is only the
durable copy that a restart reads back (`SqliteStore.start`).

Entries are 64-bit hashes of (key id, nonce) with the time they were seen,
grouped by the minute so a purge drops whole groups: about 100 bytes per signed
request (measured with tracemalloc) for the ~11 minutes a nonce must be kept,
7 MB at a steady 100 signed requests per second. Two different nonces sharing
a hash, about one chance in 10^7 with a million nonces kept, would refuse the
second once; the SDK signs its retries afresh, so that costs one retry, never a
replay.

A nonce is checked here on the event loop as the request is verified, and its
row waits in `NonceRows` for whichever transaction commits next (the writer
calls `write` just before every COMMIT). The request's own operation is handed
to the writer after that, so it never commits before its nonce's row. A request
that writes nothing asks for a commit of its own (`SqliteWriter.commit_soon`)
and is answered without waiting for it: were the process to die in that
moment, a replay could only repeat a request that changed nothing. Checking a
nonce used to hand an operation to the writer and insert one row there; now it
is a set look-up, and the rows of a commit go in with one `executemany`.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Final

BUCKET_SECONDS: Final = 64.0


class SeenNonces:
    """The nonces accepted and not yet purged, checked and added in one step on
    the event loop (the writer fills it at start, before any request)."""

    __slots__ = ("_buckets", "_seen")

    def __init__(self) -> None:
        self._seen: dict[int, float] = {}
        """Every nonce's hash, with when it was seen: one look-up per check."""
        self._buckets: dict[int, list[int]] = {}
        """The same hashes by minute, so a purge goes straight to the old ones."""

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, key_id: str, nonce: str, seen_at: float) -> bool:
        """Adds the nonce; False if its key used it already (nothing changes)."""
        key = hash((key_id, nonce))
        seen = self._seen
        if key in seen:
            return False
        seen[key] = seen_at
        slot = int(seen_at // BUCKET_SECONDS)
        bucket = self._buckets.get(slot)
        if bucket is None:
            self._buckets[slot] = [key]
        else:
            bucket.append(key)
        return True

    def purge(self, before: float) -> None:
        """Forgets what the table's purge deleted: nonces seen before `before`."""
        seen = self._seen
        for slot in list(self._buckets):
            if (slot + 1) * BUCKET_SECONDS <= before:
                for key in self._buckets.pop(slot):
                    del seen[key]
            elif slot * BUCKET_SECONDS < before:
                kept = []
                for key in self._buckets[slot]:
                    if seen[key] < before:
                        del seen[key]
                    else:
                        kept.append(key)
                self._buckets[slot] = kept


class NonceRows:
    """Accepted nonces not yet in the table: added on the event loop, written by
    whichever thread runs the next commit (`deque` appends and pops are safe
    across threads)."""

    __slots__ = ("_rows", "_sql", "commit_due")

    def __init__(self, sql: str) -> None:
        self._sql = sql
        self._rows: deque[dict[str, object]] = deque()
        self.commit_due = False
        """A commit that will write the rows is on its way (`add` asked for it)."""

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, key_id: str, nonce: str, seen_at: float) -> bool:
        """Queues a row; True if the caller must ask for a commit to write it."""
        self._rows.append({"now": seen_at, "key_id": key_id, "nonce": nonce})
        if self.commit_due:
            return False
        self.commit_due = True
        return True

    def write(self, conn: sqlite3.Connection) -> list[dict[str, object]]:
        """Inserts the queued rows in the open transaction; returns them, for
        `restore` if the transaction does not commit."""
        # Cleared before the rows are taken: a row added after this asks for a
        # commit of its own, and one added before it is taken here.
        self.commit_due = False
        rows = self._rows
        taken = [rows.popleft() for _ in range(len(rows))]
        if taken:
            try:
                conn.executemany(self._sql, taken)
            except BaseException:
                self.restore(taken)
                raise
        return taken

    def restore(self, taken: list[dict[str, object]]) -> None:
        """Puts back rows whose transaction failed; the next commit writes them."""
        self._rows.extendleft(reversed(taken))
