"""The embedded SQLite backend of the `Store` protocol.

All database work goes through one connection (`SqliteWriter`): on its thread,
or on the event loop for the request path's short operations when the thread is
idle; concurrent calls are grouped into one committed transaction. Signed
requests' nonces are checked against the set this process keeps (`nonces.py`)
and written to its table with the next commit. The SQL lives in
``queries.sql`` beside this module; this module picks queries by name and keeps
the few decisions that need Python inside the transaction (the retry delay of a
failure; which claim candidate wins is `claim.py`'s).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

from intent_bus.storage.base import (
    ApiKey,
    ClaimQuery,
    Idempotency,
    Intent,
    IntentProgress,
    Lease,
    NewIntent,
    PlainBox,
    Poll,
    ProgressReport,
    QueueStats,
    RetryDelay,
    Role,
    SecretBox,
    StoredResponse,
    Work,
)
from intent_bus.storage.batches import Completion, PublishItem
from intent_bus.storage.errors import LeaseLost, NotFound
from intent_bus.storage.migrate import Migration, load_migrations, migrations_dir
from intent_bus.storage.params import (
    extend_params,
    kv_get_params,
    kv_set_params,
    progress_params,
)
from intent_bus.storage.progress import intent_progress
from intent_bus.storage.sealing import create_params, opened, resealed
from intent_bus.storage.sqlite import batches
from intent_bus.storage.sqlite.batches import SqliteBatches
from intent_bus.storage.sqlite.claim import claim, next_due
from intent_bus.storage.sqlite.control import SqliteControl
from intent_bus.storage.sqlite.control_writes import SqliteControlWrites
from intent_bus.storage.sqlite.limits import SqliteLimits
from intent_bus.storage.sqlite.migrate import apply_migrations
from intent_bus.storage.sqlite.nonces import NonceRows, SeenNonces
from intent_bus.storage.sqlite.records import (
    Q,
    fetch_intents,
    fetch_keys,
    fetch_rows,
)
from intent_bus.storage.sqlite.schedules import SqliteSchedules
from intent_bus.storage.sqlite.url import (
    DEFAULT_CACHE_MIB,
    DEFAULT_MMAP_MIB,
    options_from_url,
    path_from_url,
)
from intent_bus.storage.sqlite.writer import SqliteWriter, read_snapshot
from intent_bus.storage.stats import queue_stats

T = TypeVar("T")

PURGE_BATCH: Final = 1000
"""Rows deleted (or reaped) per transaction by purges, so other writes interleave."""


class SqliteStore(
    SqliteBatches, SqliteControlWrites, SqliteControl, SqliteSchedules, SqliteLimits
):
    """SQLite in WAL mode behind the `Store` protocol (single process)."""

    def __init__(
        self,
        path: str | Path,
        *,
        group_commit: bool = True,
        migrations: Sequence[Migration] | None = None,
        busy_timeout_ms: int = 5000,
        synchronous: str = "normal",
        cache_mib: int = DEFAULT_CACHE_MIB,
        mmap_mib: int = DEFAULT_MMAP_MIB,
        box: SecretBox | None = None,
    ) -> None:
        self.path = str(path)
        self.box: SecretBox = box or PlainBox()
        self._migrations = (
            list(migrations)
            if migrations is not None
            else load_migrations(migrations_dir("sqlite"))
        )
        self._nonce_rows = NonceRows(Q["nonce_remember"])
        self._writer = SqliteWriter(
            self.path,
            rider=self._nonce_rows,
            group_commit=group_commit,
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
            cache_mib=cache_mib,
            mmap_mib=mmap_mib,
        )
        self._on_work: Callable[[Work | None], None] | None = None
        self._nonces = SeenNonces()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SqliteStore:
        """Builds a store for ``sqlite:///PATH[?synchronous=full&cache_mib=16&mmap_mib=32]``."""
        return cls(path_from_url(url), **{**options_from_url(url), **options})

    defers_nonces = False
    """Nonces are checked in memory as requests are verified (`nonces.py`)."""

    async def _run(
        self, operation: Callable[[sqlite3.Connection], T], *, short: bool = False
    ) -> T:
        """Runs `operation` on the writer; `short` marks the request path's
        operations (a few indexed statements), which may run inline."""
        return await self._writer.run(operation, short=short)

    async def _read_snapshot(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Runs a long read-only operation on its own connection and thread.

        WAL lets it read a consistent snapshot while the writer keeps committing.
        An in-memory database has no second connection; it reads on the writer.
        """
        if self.path == ":memory:":
            return await self._run(operation)
        return await asyncio.to_thread(read_snapshot, self.path, operation)

    # -- lifecycle ----------------------------------------------------------
    async def start(self) -> None:
        """Opens the database and applies pending migrations in one transaction."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer.start()
        await self._run(self._migrate)

    def _migrate(self, conn: sqlite3.Connection) -> list[int]:
        applied = apply_migrations(conn, self._migrations, time.time())
        if _has_table(conn, "nonces"):  # absent only under test migrations
            for key_id, nonce, seen_at in fetch_rows(conn, "nonce_load"):
                self._nonces.add(key_id, nonce, seen_at)
        return applied

    async def close(self) -> None:
        """Finishes queued work (committed) and closes the connection."""
        await self._commit_nonces()  # `commit_soon` may not have run yet
        await self._writer.stop()

    def on_work(self, callback: Callable[[Work | None], None]) -> None:
        """One process owns an SQLite file, so the server already knows about
        every publish; this is called only when a limited lease ends (see
        SqliteLimits), which the server does not see as new work."""
        self._on_work = callback

    # -- keys ---------------------------------------------------------------
    async def key_create(self, key: ApiKey) -> None:
        params = create_params(key, self.box)
        await self._run(lambda conn: conn.execute(Q["key_create"], params))

    async def key_get(self, secret: str) -> ApiKey | None:
        lookup = self.box.lookup(secret)

        def op(conn: sqlite3.Connection) -> list[tuple[ApiKey, bytes | None]]:
            return fetch_keys(conn, "key_get", {"secret": lookup})

        found = await self._run(op, short=True)
        return dataclasses.replace(found[0][0], secret=secret) if found else None

    async def key_list(self, role: Role | None = None) -> list[ApiKey]:
        def op(conn: sqlite3.Connection) -> list[tuple[ApiKey, bytes | None]]:
            return fetch_keys(conn, "key_list", {"role": role})

        return [opened(key, sealed, self.box) for key, sealed in await self._run(op)]

    async def key_revoke(self, key_id: str, now: float) -> ApiKey:
        def op(conn: sqlite3.Connection) -> tuple[ApiKey, bytes | None]:
            keys = fetch_keys(conn, "key_revoke", {"id": key_id, "now": now})
            if not keys:
                raise NotFound(f"no key {key_id!r}")
            return keys[0]

        key, sealed = await self._run(op)
        return opened(key, sealed, self.box)

    # -- secrets at rest ----------------------------------------------------
    async def key_seal(self) -> int:
        return await self._reseal(self.box, only_plain=True)

    async def key_reseal(self, box: SecretBox) -> int:
        count = await self._reseal(box, only_plain=False)
        self.box = box
        return count

    async def _reseal(self, box: SecretBox, *, only_plain: bool) -> int:
        old = self.box

        def op(conn: sqlite3.Connection) -> int:
            rows = fetch_rows(conn, "key_secret_rows")
            updates = resealed(rows, old, box, only_plain=only_plain)
            if not updates:
                return 0
            # Overwritten secrets must not linger in the file's free space; but
            # only these writes: zeroing what every later delete frees made
            # each status change of an intent write more.
            conn.execute("PRAGMA secure_delete = ON")
            try:
                for params in updates:
                    conn.execute(Q["key_secret_set"], params)
            finally:
                conn.execute("PRAGMA secure_delete = OFF")
            return len(updates)

        return await self._run(op)

    # -- replay and rate protection -----------------------------------------
    async def nonce_remember(self, key_id: str, nonce: str, now: float) -> bool:
        if not self._nonces.add(key_id, nonce, now):
            return False
        if self._nonce_rows.add(key_id, nonce, now):
            self._writer.commit_soon()
        return True

    async def _commit_nonces(self) -> None:
        """Writes the nonces still waiting for a commit, and waits for it."""
        if len(self._nonce_rows):
            await self._run(lambda conn: None)

    async def nonce_purge(self, before: float) -> int:
        await self._commit_nonces()  # so the purge sees every row it should
        deleted = await self._purge("nonce_purge", {"before": before})
        self._nonces.purge(before)
        return deleted

    async def rate_hit(self, key_id: str, window_start: float) -> int:
        def op(conn: sqlite3.Connection) -> int:
            params = {"key_id": key_id, "window_start": window_start}
            count = int(fetch_rows(conn, "rate_hit", params)[0][0])
            if count == 1:  # a new window: the key's older ones are finished
                conn.execute(Q["rate_forget"], params)
            return count

        return await self._run(op, short=True)

    async def _purge(self, name: str, params: dict[str, Any]) -> int:
        """Runs a `:limit`ed statement in batches of PURGE_BATCH, one transaction
        each, until a batch comes back short; returns the rows it touched."""
        total = 0
        batch = {**params, "limit": PURGE_BATCH}
        while True:
            deleted = await self._run(
                lambda conn: conn.execute(Q[name], batch).rowcount
            )
            total += deleted
            if deleted < PURGE_BATCH:
                return total

    async def _leased_update(
        self, name: str, intent_id: str, params: dict[str, Any]
    ) -> Intent:
        """Runs an UPDATE guarded by the lease token; no row means no live lease."""

        def op(conn: sqlite3.Connection) -> Intent:
            done = fetch_intents(conn, name, params)
            if not done:
                raise LeaseLost(f"no live lease on {intent_id!r} for that token")
            return done[0]

        return await self._run(op, short=True)

    # -- intents --------------------------------------------------------------
    async def intent_publish(
        self, intent: NewIntent, idempotency: Idempotency | None, now: float
    ) -> StoredResponse | None:
        item = PublishItem(intent, idempotency)
        return await self._run(
            lambda conn: batches.publish(conn, item, now), short=True
        )

    async def intent_claim(
        self, query: ClaimQuery, lease: Lease, now: float
    ) -> Intent | None:
        polled = await self._run(
            lambda conn: claim(conn, query, lease, now), short=True
        )
        return polled.intent

    async def intent_poll(self, query: ClaimQuery, lease: Lease, now: float) -> Poll:
        def op(conn: sqlite3.Connection) -> Poll:
            polled = claim(conn, query, lease, now)
            if polled.intent is not None:
                return polled
            return Poll(None, next_due(conn, query, now, lease))

        return await self._run(op, short=True)

    async def intent_fulfill(
        self,
        intent_id: str,
        claim_token: str,
        result: bytes | None,
        result_type: str,
        now: float,
        *,
        owner: str | None = None,
    ) -> Intent:
        done = Completion(intent_id, claim_token, "fulfill", result, result_type)
        fulfilled, freed = await self._run(
            lambda conn: batches.fulfill(conn, done, now, owner), short=True
        )
        self._slot_freed(freed)
        return fulfilled

    async def intent_fail(
        self,
        intent_id: str,
        claim_token: str,
        error: str,
        retry_delay: RetryDelay,
        now: float,
        *,
        owner: str | None = None,
    ) -> Intent:
        done = Completion(intent_id, claim_token, "fail", error=error)
        failed, freed = await self._run(
            lambda conn: batches.fail(conn, done, retry_delay, now, owner), short=True
        )
        self._slot_freed(freed)
        return failed

    async def intent_extend(
        self,
        intent_id: str,
        claim_token: str,
        expires_at: float,
        now: float,
        *,
        owner: str | None = None,
        report: ProgressReport | None = None,
    ) -> Intent:
        params = extend_params(intent_id, claim_token, expires_at, now, owner)
        if report is None:
            return await self._leased_update("intent_extend", intent_id, params)

        def op(conn: sqlite3.Connection) -> Intent:
            extended = fetch_intents(conn, "intent_extend", params)
            if not extended:
                raise LeaseLost(f"no live lease on {intent_id!r} for that token")
            conn.execute(
                Q["intent_progress_save"], progress_params(intent_id, report, now)
            )
            return extended[0]

        return await self._run(op)

    async def intent_progress_get(self, intent_id: str) -> IntentProgress | None:
        def op(conn: sqlite3.Connection) -> IntentProgress | None:
            rows = fetch_rows(conn, "intent_progress_get", {"id": intent_id})
            return intent_progress(rows[0]) if rows else None

        return await self._run(op)

    async def intent_get(self, intent_id: str, now: float) -> Intent | None:
        params = {"id": intent_id, "now": now}

        def op(conn: sqlite3.Connection) -> Intent | None:
            found = fetch_intents(conn, "intent_get", params)
            if not found:
                return None
            intent = found[0]
            expiry = intent.lease_expires_at
            if intent.status == "claimed" and expiry is not None and expiry <= now:
                conn.execute(Q["intent_settle_lease"], params)
                intent = fetch_intents(conn, "intent_get", params)[0]
            return intent

        return await self._run(op, short=True)

    async def intent_reap(self, now: float) -> int:
        return await self._purge("intent_settle_leases", {"now": now})

    async def intent_purge(self, before: float) -> int:
        return await self._purge("intent_purge", {"before": before})

    async def intent_stats(self, now: float) -> QueueStats:
        def op(conn: sqlite3.Connection) -> QueueStats:
            rows = fetch_rows(conn, "intent_stats")
            return queue_stats(rows, fetch_rows(conn, "intent_oldest_open")[0][0])

        # Counting scans the whole table (~0.7 s at a million rows): do it on a
        # snapshot beside the writer rather than hold every write behind it.
        return await self._read_snapshot(op)

    async def idempotency_purge(self, before: float) -> int:
        return await self._purge("idempotency_purge", {"before": before})

    # -- key-value store --------------------------------------------------------
    async def kv_set(
        self, owner: str, key: str, value: bytes, expires_at: float, now: float
    ) -> None:
        params = kv_set_params(owner, key, value, expires_at, now)
        await self._run(lambda conn: conn.execute(Q["kv_set"], params), short=True)

    async def kv_get(self, owner: str, key: str, now: float) -> bytes | None:
        params = kv_get_params(owner, key, now)

        def op(conn: sqlite3.Connection) -> bytes | None:
            rows = fetch_rows(conn, "kv_get", params)
            return bytes(rows[0][0]) if rows else None

        return await self._run(op, short=True)

    async def kv_purge(self, now: float) -> int:
        return await self._purge("kv_purge", {"now": now})


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None
