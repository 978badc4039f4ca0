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
"""

from __future__ import annotations

from typing import Final

BUCKET_SECONDS: Final = 64.0


class SeenNonces:
    """The nonces accepted and not yet purged, checked and added in one step by
    the writer (which runs one operation at a time)."""

    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets: dict[int, dict[int, float]] = {}

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets.values())

    def add(self, key_id: str, nonce: str, seen_at: float) -> bool:
        """Adds the nonce; False if its key used it already (nothing changes)."""
        key = hash((key_id, nonce))
        buckets = self._buckets
        for seen in buckets.values():
            if key in seen:
                return False
        slot = int(seen_at // BUCKET_SECONDS)
        bucket = buckets.get(slot)
        if bucket is None:
            bucket = buckets[slot] = {}
        bucket[key] = seen_at
        return True

    def forget(self, key_id: str, nonce: str, seen_at: float) -> None:
        """Takes back an `add` whose transaction did not commit."""
        bucket = self._buckets.get(int(seen_at // BUCKET_SECONDS))
        if bucket is not None:
            bucket.pop(hash((key_id, nonce)), None)

    def purge(self, before: float) -> None:
        """Forgets what the table's purge deleted: nonces seen before `before`."""
        for slot in list(self._buckets):
            if (slot + 1) * BUCKET_SECONDS <= before:
                del self._buckets[slot]
            elif slot * BUCKET_SECONDS < before:
                bucket = self._buckets[slot]
                for key in [k for k, at in bucket.items() if at < before]:
                    del bucket[key]
