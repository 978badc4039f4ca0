"""The PostgreSQL backend: the `Store` protocol on psycopg 3's asynchronous pool,
for one server or many stateless replicas on one database.

Everything that matters lives in the database, so any replica can serve any
request. Each guarantee is one transaction: a single statement where that is
enough (autocommit, one round trip), an explicit transaction where a method must
read before it writes or write twice atomically. Concurrent claimers meet on no row
(``FOR UPDATE SKIP LOCKED``); housekeeping skips rows another replica holds, so
every replica may run it at once without waiting or deadlocking. Work made
available by a write is announced with ``NOTIFY`` in the same transaction and
heard by every replica's `WorkListener`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from intent_bus.storage.base import (
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
    SecretBox,
    StoredResponse,
    Work,
    work_of,
)
from intent_bus.storage.batches import Completion
from intent_bus.storage.errors import Busy, Conflict, LeaseLost, StorageFull
from intent_bus.storage.params import (
    as_params,
    claim_params,
    extend_params,
    kv_get_params,
    kv_set_params,
    lease_params,
    progress_params,
)
from intent_bus.storage.postgres.batches import PostgresBatches
from intent_bus.storage.postgres.completions import PostgresCompletions
from intent_bus.storage.postgres.control import PostgresControl
from intent_bus.storage.postgres.control_writes import PostgresControlWrites
from intent_bus.storage.postgres.keys import PostgresKeys
from intent_bus.storage.postgres.limits import PostgresLimits
from intent_bus.storage.postgres.listener import WorkListener, work_payload
from intent_bus.storage.postgres.migrate import migrate
from intent_bus.storage.postgres.nonce_fold import nonce_first
from intent_bus.storage.postgres.prepared import execute, prepare_threshold
from intent_bus.storage.postgres.records import intent_from_row
from intent_bus.storage.postgres.schedules import PostgresSchedules
from intent_bus.storage.postgres.url import (
    PostgresOptions,
    split_url,
    with_lock_timeout,
)
from intent_bus.storage.progress import intent_progress
from intent_bus.storage.queries import load_queries
from intent_bus.storage.stats import queue_stats

PURGE_BATCH = 5000
"""Rows deleted per transaction by purges, so no replica holds locks for long."""
RESERVED_OWNER_CONSTRAINT = "api_keys_admin_owner_reserved"
"""Refuses a tenant key with the admin's owner name (migration 0005)."""
REAP_BATCH = 1000
"""Expired leases settled per statement, by a claim or by housekeeping."""


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Turns psycopg's failures into the store's: lost connections, lock and pool
    timeouts, serialization failures and deadlocks are all "retry later"."""
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(str(exc.diag.constraint_name or exc)) from exc
    except psycopg.errors.DiskFull as exc:  # SQLSTATE 53100
        raise StorageFull(f"disk full: {exc}") from exc
    except psycopg.errors.CheckViolation as exc:
        if exc.diag.constraint_name != RESERVED_OWNER_CONSTRAINT:
            raise  # any other is a bug, and must stay loud
        raise Conflict(RESERVED_OWNER_CONSTRAINT) from exc
    except psycopg.OperationalError as exc:
        raise Busy(type(exc).__name__) from exc


Cursor = psycopg.AsyncCursor[DictRow]
Connection = psycopg.AsyncConnection[DictRow]


class PostgresStore(
    PostgresCompletions,
    PostgresBatches,
    PostgresKeys,
    PostgresControlWrites,
    PostgresControl,
    PostgresSchedules,
    PostgresLimits,
):
    """The `Store` on PostgreSQL. Construct with `from_url`, then `await start()`."""

    defers_nonces = True

    def __init__(
        self,
        conninfo: str,
        options: PostgresOptions | None = None,
        box: SecretBox | None = None,
    ) -> None:
        self.box: SecretBox = box or PlainBox()
        self._conninfo = conninfo
        self._options = options or PostgresOptions()
        self._queries = load_queries("postgres")
        # Our own notifications carry this token so that our listener skips them:
        # the process that made the work has already woken its own waiters.
        self._origin = secrets.token_hex(8)
        connect_kwargs: dict[str, Any] = {
            # Only the statements whose plan does not depend on their
            # parameters are prepared (prepared.py); the others stay unnamed,
            # planned with the actual parameters, so the optional filters
            # (goal, publisher) fold away and the partial indexes are used.
            "prepare_threshold": prepare_threshold(self._options.prepare),
            "options": with_lock_timeout(conninfo, self._options.lock_timeout_ms),
        }
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[DictRow]] = (
            AsyncConnectionPool(
                conninfo,
                min_size=self._options.pool_min,
                max_size=self._options.pool_max,
                timeout=self._options.pool_timeout,
                open=False,
                kwargs={**connect_kwargs, "autocommit": True, "row_factory": dict_row},
                name="intent-bus",
            )
        )
        self._listener = WorkListener(conninfo, self._origin)

    @classmethod
    def from_url(cls, url: str, box: SecretBox | None = None) -> PostgresStore:
        """Builds a store from ``postgresql://user@host:port/db?pool_max=4&...``."""
        conninfo, options = split_url(url)
        return cls(conninfo, options, box)

    # -- lifecycle ----------------------------------------------------------
    async def start(self) -> None:
        with _translated():
            async with await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            ) as conn:
                await migrate(conn)
            await self._pool.open(wait=True, timeout=self._options.pool_timeout)
        if self._options.listen:
            await self._listener.start()

    async def close(self) -> None:
        await self._listener.close()
        await self._pool.close()

    def on_work(self, callback: Callable[[Work | None], None]) -> None:
        """Registers a callback for work made available by another process; it
        runs on the event loop that called `start`."""
        self._listener.add(callback)

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[Cursor]:
        """One transaction on a pooled connection, with errors translated; a
        signed request's nonce is its first statement (nonce_fold.py)."""
        with _translated():
            async with self._pool.connection() as conn, conn.transaction():
                async with nonce_first(conn, self._queries, pipelined=False):
                    async with conn.cursor() as cur:
                        yield cur

    @contextlib.asynccontextmanager
    async def _tx_connection(self) -> AsyncIterator[Connection]:
        """One transaction on a pooled connection, for pipelines of statements."""
        with _translated():
            async with self._pool.connection() as conn, conn.transaction():
                async with nonce_first(conn, self._queries, pipelined=False):
                    yield conn

    def _settle_params(self, now: float) -> dict[str, Any]:
        """How many expired leases a claim settles first, and who announces it."""
        return {"now": now, "limit": REAP_BATCH, "origin": self._origin}

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[Cursor]:
        """A pooled connection in autocommit mode: each statement is its own
        transaction, which saves the BEGIN and COMMIT round trips where one
        statement is the whole guarantee. A signed request's nonce goes in a
        pipeline with the block's statements, one implicit transaction."""
        with _translated():
            async with self._pool.connection() as conn:
                async with nonce_first(conn, self._queries, pipelined=True):
                    async with conn.cursor() as cur:
                        yield cur

    async def _run(self, cur: Cursor, name: str, params: dict[str, Any]) -> Cursor:
        return await execute(cur, self._queries, name, params)

    async def _notify(self, cur: Cursor, work: Work | None) -> None:
        payload = work_payload(self._origin, work)
        await self._run(cur, "work_notify", {"notify_payload": payload})

    async def _purge(self, name: str, params: dict[str, Any], batch: int) -> int:
        """Deletes in batches, each its own short transaction."""
        total = 0
        while True:  # housekeeping's, never a request's: reads rowcount
            with _translated():
                async with self._pool.connection() as conn, conn.cursor() as cur:
                    await self._run(cur, name, {**params, "limit": batch})
                    deleted = max(cur.rowcount, 0)
            total += deleted
            if deleted < batch:
                return total

    # -- purges of replay nonces (taking them is in keys.py) ------------------
    async def nonce_purge(self, before: float) -> int:
        return await self._purge("nonce_purge", {"before": before}, PURGE_BATCH)

    async def _leased_update(
        self, name: str, intent_id: str, params: dict[str, Any]
    ) -> Intent:
        """Runs an UPDATE guarded by the lease token; no row means no live lease."""
        async with self._statement() as cur:
            row = await (await self._run(cur, name, params)).fetchone()
        if row is None:
            raise LeaseLost(intent_id)
        return intent_from_row(row)

    # -- intents ------------------------------------------------------------
    async def intent_publish(
        self, intent: NewIntent, idempotency: Idempotency | None, now: float
    ) -> StoredResponse | None:
        params = {
            **as_params(intent),
            "now": now,
            "notify_payload": work_payload(self._origin, work_of(intent)),
        }
        if idempotency is None:
            async with self._statement() as cur:
                await self._run(cur, "intent_insert_notify", params)
            return None
        params.update(as_params(idempotency))
        async with self._statement() as cur:
            await self._run(cur, "intent_insert_idempotent_notify", params)
            if await cur.fetchone() is not None:
                return None
            await self._run(cur, "idempotency_get", params)
            first = await cur.fetchone()
        if first is None:  # purged between the two statements: a day-old key
            raise Conflict(f"idempotency key {idempotency.key!r} expired meanwhile")
        if first["body_hash"] != idempotency.body_hash:
            raise Conflict(f"idempotency key {idempotency.key!r} reused")
        return StoredResponse(first["status_code"], bytes(first["response"]))

    async def intent_claim(
        self, query: ClaimQuery, lease: Lease, now: float
    ) -> Intent | None:
        return (await self._claim(query, lease, now, with_next_due=False)).intent

    async def intent_poll(self, query: ClaimQuery, lease: Lease, now: float) -> Poll:
        return await self._claim(query, lease, now, with_next_due=True)

    async def _claim(
        self, query: ClaimQuery, lease: Lease, now: float, *, with_next_due: bool
    ) -> Poll:
        """Settles expired leases, claims, and optionally reads the next due time.

        The statements go out as one pipeline on an autocommit connection: with
        no BEGIN, everything up to the pipeline's one Sync is one implicit
        transaction, so the claim sees the leases just settled (skipping any a
        neighbour is settling) and the whole call is one round trip. The
        next-due statements are gated on the claim's token, so they cost
        nothing when the claim succeeded. When the best intent has a
        concurrency limit, the claim is deferred to a second, locked look
        (`_claim_locked`).
        """
        settle = self._settle_params(now)
        params = {**claim_params(query, now), **lease_params(lease, now)}
        names = ["intent_claim"]
        if with_next_due:
            names += ["intent_next_due_private", "intent_next_due_public"]
        with _translated():
            async with self._pool.connection() as conn:
                async with (
                    nonce_first(conn, self._queries, pipelined=True),
                    conn.pipeline(),
                ):
                    await execute(
                        conn, self._queries, "intent_settle_leases_notify", settle
                    )
                    cursors = [
                        await execute(conn, self._queries, name, params)
                        for name in names
                    ]
                row = await cursors[0].fetchone()
                dues = [
                    (await cur.fetchone() or {}).get("next_due") for cur in cursors[1:]
                ]
        found = [float(due) for due in dues if due is not None]
        next_due = min(found, default=None)
        if row is not None and row["deferred"]:
            return await self._claim_locked(params, next_due)
        if row is not None and row["id"] is not None:
            return Poll(intent_from_row(row), checkpoint=row["checkpoint"])
        return Poll(None, next_due)

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
        async with self._statement() as cur:
            return await self._fulfill_in(cur, done, now, owner)

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
        async with self._tx() as cur:
            return await self._fail_in(cur, done, retry_delay, now, owner)

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
        async with self._tx() as cur:
            row = await (await self._run(cur, "intent_extend", params)).fetchone()
            if row is None:
                raise LeaseLost(intent_id)
            saved = progress_params(intent_id, report, now)
            await self._run(cur, "intent_progress_save", saved)
        return intent_from_row(row)

    async def intent_progress_get(self, intent_id: str) -> IntentProgress | None:
        async with self._statement() as cur:
            query = await self._run(cur, "intent_progress_get", {"id": intent_id})
            row = await query.fetchone()
        return None if row is None else intent_progress(tuple(row.values()))

    async def intent_get(self, intent_id: str, now: float) -> Intent | None:
        params = {"id": intent_id, "now": now}
        async with self._statement() as cur:
            row = await (await self._run(cur, "intent_get", params)).fetchone()
        if row is None or row["status"] != "claimed" or row["lease_expires_at"] > now:
            return intent_from_row(row) if row else None
        async with self._tx() as cur:
            settled = await (
                await self._run(cur, "intent_settle_lease", params)
            ).fetchone()
            if settled is not None and settled["status"] == "open":
                await self._notify(cur, None)
            row = await (await self._run(cur, "intent_get", params)).fetchone()
        return intent_from_row(row) if row else None

    async def intent_reap(self, now: float) -> int:
        total = 0
        params = {"now": now, "limit": REAP_BATCH, "origin": self._origin}
        while True:
            async with self._statement() as cur:
                await self._run(cur, "intent_settle_leases_notify", params)
                row = await cur.fetchone()
            settled = int(row["settled"]) if row else 0
            total += settled
            if settled < REAP_BATCH:
                return total

    async def intent_purge(self, before: float) -> int:
        return await self._purge("intent_purge", {"before": before}, PURGE_BATCH)

    async def intent_stats(self, now: float) -> QueueStats:
        async with self._tx() as cur:
            rows = await (await self._run(cur, "intent_stats", {})).fetchall()
            oldest = await (await self._run(cur, "intent_oldest_open", {})).fetchone()
        return queue_stats(
            ((row["namespace"], row["status"], row["n"]) for row in rows),
            oldest["oldest"] if oldest else None,
        )

    async def idempotency_purge(self, before: float) -> int:
        return await self._purge("idempotency_purge", {"before": before}, PURGE_BATCH)

    # -- key-value store ------------------------------------------------------
    async def kv_set(
        self, owner: str, key: str, value: bytes, expires_at: float, now: float
    ) -> None:
        params = kv_set_params(owner, key, value, expires_at, now)
        async with self._statement() as cur:
            await self._run(cur, "kv_set", params)

    async def kv_get(self, owner: str, key: str, now: float) -> bytes | None:
        params = kv_get_params(owner, key, now)
        async with self._statement() as cur:
            row = await (await self._run(cur, "kv_get", params)).fetchone()
        return bytes(row["value"]) if row else None

    async def kv_purge(self, now: float) -> int:
        return await self._purge("kv_purge", {"now": now}, PURGE_BATCH)
