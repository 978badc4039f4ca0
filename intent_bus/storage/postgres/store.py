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
import dataclasses
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from intent_bus.storage.base import (
    ApiKey,
    ClaimQuery,
    Idempotency,
    Intent,
    Lease,
    NewIntent,
    QueueStats,
    RetryDelay,
    Role,
    StoredResponse,
    as_params,
)
from intent_bus.storage.errors import Busy, Conflict, LeaseLost, NotFound
from intent_bus.storage.pg_migrate import migrate
from intent_bus.storage.pg_notify import WorkListener
from intent_bus.storage.queries import load_queries

DEFAULT_POOL_MIN = 1
DEFAULT_POOL_MAX = 4
"""Connections per replica besides the listener; see docs/DEPLOYMENT.md."""
DEFAULT_POOL_TIMEOUT = 10.0
DEFAULT_LOCK_TIMEOUT_MS = 5000
PURGE_BATCH = 5000
"""Rows deleted per transaction by purges, so no replica holds locks for long."""
REAP_BATCH = 1000
STATUSES = ("open", "claimed", "fulfilled", "dead")

_INTENT_FIELDS = tuple(f.name for f in dataclasses.fields(Intent))

# Options of ours in the URL's query string; everything else goes to libpq.
_OPTIONS = {"pool_min", "pool_max", "pool_timeout", "lock_timeout_ms", "listen"}


@dataclasses.dataclass(frozen=True, slots=True)
class PostgresOptions:
    """Per-replica tuning, from the database URL's query string.

    ``pool_max`` is the replica's connection budget for requests; the work
    listener holds one more connection, so a replica uses at most pool_max + 1.
    """

    pool_min: int = DEFAULT_POOL_MIN
    pool_max: int = DEFAULT_POOL_MAX
    pool_timeout: float = DEFAULT_POOL_TIMEOUT
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    listen: bool = True


def split_url(url: str) -> tuple[str, PostgresOptions]:
    """Separates our options from the libpq connection URL."""
    parts = urlsplit(url)
    if parts.scheme == "postgres":
        parts = parts._replace(scheme="postgresql")
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        (
            ours.__setitem__(name, value)
            if name in _OPTIONS
            else theirs.append((name, value))
        )
    options = PostgresOptions(
        pool_min=int(ours.get("pool_min", DEFAULT_POOL_MIN)),
        pool_max=int(ours.get("pool_max", DEFAULT_POOL_MAX)),
        pool_timeout=float(ours.get("pool_timeout", DEFAULT_POOL_TIMEOUT)),
        lock_timeout_ms=int(ours.get("lock_timeout_ms", DEFAULT_LOCK_TIMEOUT_MS)),
        listen=ours.get("listen", "on").lower() not in ("0", "off", "false", "no"),
    )
    if not 1 <= options.pool_max or not 0 <= options.pool_min <= options.pool_max:
        raise ValueError(f"need 0 <= pool_min <= pool_max, 1 <= pool_max in {url!r}")
    return urlunsplit(parts._replace(query=urlencode(theirs))), options


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Turns psycopg's failures into the store's: lost connections, lock and pool
    timeouts, serialization failures and deadlocks are all "retry later"."""
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(str(exc.diag.constraint_name or exc)) from exc
    except psycopg.OperationalError as exc:
        raise Busy(type(exc).__name__) from exc


def _with_lock_timeout(conninfo: str, lock_timeout_ms: int) -> str:
    """The libpq ``options`` of the URL plus our lock timeout, so that a write
    stuck behind a lock fails as Busy instead of hanging the request."""
    given = conninfo_to_dict(conninfo).get("options")
    ours = f"-c lock_timeout={lock_timeout_ms}"
    return f"{given} {ours}" if given else ours


def _intent(row: DictRow) -> Intent:
    return Intent(**{name: row[name] for name in _INTENT_FIELDS})


def _key(row: DictRow) -> ApiKey:
    return ApiKey(
        id=row["id"],
        secret=row["secret"],
        owner=row["owner"],
        role=row["role"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def _claim_params(query: ClaimQuery, now: float) -> dict[str, Any]:
    return {
        "owner": query.owner,
        "namespace": query.namespace,
        "goal": query.goal,
        "publisher": query.publisher,
        "worker_id": query.worker_id,
        "capabilities": list(query.capabilities),
        "now": now,
    }


Cursor = psycopg.AsyncCursor[DictRow]


class PostgresStore:
    """The `Store` on PostgreSQL. Construct with `from_url`, then `await start()`."""

    def __init__(self, conninfo: str, options: PostgresOptions | None = None) -> None:
        self._conninfo = conninfo
        self._options = options or PostgresOptions()
        self._queries = load_queries("postgres")
        # Our own notifications carry this token so that our listener skips them:
        # the process that made the work has already woken its own waiters.
        self._origin = secrets.token_hex(8)
        connect_kwargs: dict[str, Any] = {
            # Unnamed statements are planned with the actual parameters, so the
            # optional filters (goal, publisher) fold away and the partial
            # indexes are used; it also keeps PgBouncer in transaction mode happy.
            "prepare_threshold": None,
            "options": _with_lock_timeout(conninfo, self._options.lock_timeout_ms),
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
    def from_url(cls, url: str) -> PostgresStore:
        """Builds a store from ``postgresql://user@host:port/db?pool_max=4&...``."""
        conninfo, options = split_url(url)
        return cls(conninfo, options)

    # -- lifecycle ----------------------------------------------------------
    async def start(self) -> None:
        """Connects and applies pending migrations; safe when replicas race."""
        with _translated():
            async with await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            ) as conn:
                await migrate(conn)
            await self._pool.open(wait=True, timeout=self._options.pool_timeout)
        if self._options.listen:
            await self._listener.start()

    async def close(self) -> None:
        """Releases connections; pending acknowledged writes are durable."""
        await self._listener.close()
        await self._pool.close()

    def on_work(self, callback: Callable[[], None]) -> None:
        """Registers a callback for work made available by another process; it
        runs on the event loop that called `start`."""
        self._listener.add(callback)

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[Cursor]:
        """One transaction on a pooled connection, with errors translated."""
        with _translated():
            async with self._pool.connection() as conn, conn.transaction():
                async with conn.cursor() as cur:
                    yield cur

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[Cursor]:
        """A pooled connection in autocommit mode: each statement is its own
        transaction, which saves the BEGIN and COMMIT round trips where one
        statement is the whole guarantee."""
        with _translated():
            async with self._pool.connection() as conn, conn.cursor() as cur:
                yield cur

    async def _run(self, cur: Cursor, name: str, params: dict[str, Any]) -> Cursor:
        return await cur.execute(self._queries[name], params)

    async def _notify(self, cur: Cursor) -> None:
        await self._run(cur, "work_notify", {"origin": self._origin})

    async def _purge(self, name: str, params: dict[str, Any], batch: int) -> int:
        """Deletes in batches, each its own short transaction."""
        total = 0
        while True:
            async with self._statement() as cur:
                await self._run(cur, name, {**params, "limit": batch})
                deleted = max(cur.rowcount, 0)
            total += deleted
            if deleted < batch:
                return total

    # -- keys ---------------------------------------------------------------
    async def key_create(self, key: ApiKey) -> None:
        """Stores a new key; raises Conflict if its id or secret exists."""
        async with self._statement() as cur:
            await self._run(cur, "key_create", as_params(key))

    async def key_get(self, secret: str) -> ApiKey | None:
        """Returns the key with that secret (revoked ones included), or None."""
        async with self._statement() as cur:
            row = await (await self._run(cur, "key_get", {"secret": secret})).fetchone()
        return _key(row) if row else None

    async def key_list(self, role: Role | None = None) -> list[ApiKey]:
        """Returns keys, oldest first, optionally of one role."""
        async with self._statement() as cur:
            rows = await (await self._run(cur, "key_list", {"role": role})).fetchall()
        return [_key(row) for row in rows]

    async def key_revoke(self, key_id: str, now: float) -> ApiKey:
        """Marks a key revoked; raises NotFound for an unknown id."""
        async with self._statement() as cur:
            await self._run(cur, "key_revoke", {"id": key_id, "now": now})
            row = await cur.fetchone()
        if row is None:
            raise NotFound(key_id)
        return _key(row)

    # -- request replay and rate protection ---------------------------------
    async def nonce_remember(self, key_id: str, nonce: str, now: float) -> bool:
        """Records a nonce; returns False if that key used it already."""
        async with self._statement() as cur:
            params = {"key_id": key_id, "nonce": nonce, "now": now}
            row = await (await self._run(cur, "nonce_remember", params)).fetchone()
        return row is not None

    async def nonce_purge(self, before: float) -> int:
        """Deletes nonces first seen before `before`; returns how many."""
        return await self._purge("nonce_purge", {"before": before}, PURGE_BATCH)

    async def rate_hit(self, key_id: str, window_start: float) -> int:
        """Counts one request in the key's window; returns the window's count."""
        async with self._statement() as cur:
            params = {"key_id": key_id, "window_start": window_start}
            row = await (await self._run(cur, "rate_hit", params)).fetchone()
            assert row is not None
            count = int(row["count"])
            if count == 1:  # a new window: the key's older ones are finished
                await self._run(cur, "rate_forget", params)
        return count

    async def _leased_update(
        self, name: str, intent_id: str, params: dict[str, Any]
    ) -> Intent:
        """Runs an UPDATE guarded by the lease token; no row means no live lease."""
        async with self._statement() as cur:
            row = await (await self._run(cur, name, params)).fetchone()
        if row is None:
            raise LeaseLost(intent_id)
        return _intent(row)

    # -- intents ------------------------------------------------------------
    async def intent_publish(
        self, intent: NewIntent, idempotency: Idempotency | None, now: float
    ) -> StoredResponse | None:
        """Inserts the intent, or replays: returns the recorded response when the
        idempotency key was used with the same body hash, raises Conflict when it
        was used with another, and returns None when the intent was inserted."""
        params = {**as_params(intent), "now": now, "origin": self._origin}
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
        """Leases the best eligible intent (priority desc, run_at, insertion
        order) and counts the attempt, or returns None."""
        async with self._statement() as cur:
            # Expired leases are eligible again: settle them first (skipping any a
            # neighbour is settling) and commit, so that the claim below, a
            # statement of its own, sees them as open.
            settle = {"now": now, "limit": REAP_BATCH}
            await self._run(cur, "intent_settle_leases", settle)
            if "open" in [row["status"] for row in await cur.fetchall()]:
                await self._notify(cur)
            params = {
                **_claim_params(query, now),
                "claim_token": lease.claim_token,
                "expires_at": lease.expires_at,
                "worker_id": lease.worker_id,
            }
            row = await (await self._run(cur, "intent_claim", params)).fetchone()
        return _intent(row) if row else None

    async def intent_next_due(self, query: ClaimQuery, now: float) -> float | None:
        """Returns the earliest future run_at among intents the query could take."""
        params = _claim_params(query, now)
        dues: list[float] = []
        async with self._statement() as cur:
            for name in ("intent_next_due_private", "intent_next_due_public"):
                row = await (await self._run(cur, name, params)).fetchone()
                if row is not None and row["next_due"] is not None:
                    dues.append(float(row["next_due"]))
        return min(dues, default=None)

    async def intent_fulfill(
        self,
        intent_id: str,
        claim_token: str,
        result: bytes | None,
        result_type: str,
        now: float,
    ) -> Intent:
        """Completes a leased intent with its result; raises LeaseLost unless the
        token holds a live lease."""
        params = {
            "id": intent_id,
            "claim_token": claim_token,
            "result": result,
            "result_type": result_type,
            "now": now,
        }
        return await self._leased_update("intent_fulfill", intent_id, params)

    async def intent_fail(
        self,
        intent_id: str,
        claim_token: str,
        error: str,
        retry_delay: RetryDelay,
        now: float,
    ) -> Intent:
        """Reopens a leased intent after `retry_delay`, or kills it when its
        attempts are spent; raises LeaseLost unless the token holds the lease."""
        lease = {"id": intent_id, "claim_token": claim_token, "now": now}
        async with self._tx() as cur:
            held = await (await self._run(cur, "intent_leased", lease)).fetchone()
            if held is None:
                raise LeaseLost(intent_id)
            params: dict[str, Any] = {"seq": held["seq"], "error": error, "now": now}
            if held["claim_attempts"] < held["max_attempts"]:
                delay = retry_delay(held["claim_attempts"], held["backoff_base"])
                await self._run(
                    cur, "intent_fail_reopen", {**params, "run_at": now + delay}
                )
                row = await cur.fetchone()
                await self._notify(cur)
            else:
                await self._run(cur, "intent_fail_kill", params)
                row = await cur.fetchone()
        assert row is not None
        return _intent(row)

    async def intent_extend(
        self, intent_id: str, claim_token: str, expires_at: float, now: float
    ) -> Intent:
        """Moves a live lease's expiry; raises LeaseLost unless the token holds it."""
        params = {
            "id": intent_id,
            "claim_token": claim_token,
            "expires_at": expires_at,
            "now": now,
        }
        return await self._leased_update("intent_extend", intent_id, params)

    async def intent_get(self, intent_id: str, now: float) -> Intent | None:
        """Returns the intent, first settling its lease if that has expired."""
        params = {"id": intent_id, "now": now}
        async with self._statement() as cur:
            row = await (await self._run(cur, "intent_get", params)).fetchone()
        if row is None or row["status"] != "claimed" or row["lease_expires_at"] > now:
            return _intent(row) if row else None
        async with self._tx() as cur:
            settled = await (
                await self._run(cur, "intent_settle_lease", params)
            ).fetchone()
            if settled is not None and settled["status"] == "open":
                await self._notify(cur)
            row = await (await self._run(cur, "intent_get", params)).fetchone()
        return _intent(row) if row else None

    async def intent_reap(self, now: float) -> int:
        """Reopens (or kills, when attempts are spent) intents whose lease
        expired; returns how many."""
        total = 0
        while True:
            async with self._tx() as cur:
                params = {"now": now, "limit": REAP_BATCH}
                await self._run(cur, "intent_settle_leases", params)
                statuses = [row["status"] for row in await cur.fetchall()]
                if "open" in statuses:
                    await self._notify(cur)
            total += len(statuses)
            if len(statuses) < REAP_BATCH:
                return total

    async def intent_purge(self, before: float) -> int:
        """Deletes terminal intents completed before `before`; returns how many."""
        return await self._purge("intent_purge", {"before": before}, PURGE_BATCH)

    async def intent_stats(self, now: float) -> QueueStats:
        """Returns counts of intents by status and namespace."""
        by_status = dict.fromkeys(STATUSES, 0)
        by_namespace: dict[str, dict[str, int]] = {}
        async with self._tx() as cur:
            for row in await (await self._run(cur, "intent_stats", {})).fetchall():
                status, count = row["status"], int(row["n"])
                by_status[status] = by_status.get(status, 0) + count
                counts = by_namespace.setdefault(
                    row["namespace"], dict.fromkeys(STATUSES, 0)
                )
                counts[status] = count
            oldest = await (await self._run(cur, "intent_oldest_open", {})).fetchone()
        return QueueStats(by_status, by_namespace, oldest["oldest"] if oldest else None)

    async def intent_list_dead(
        self, owner: str | None, namespace: str | None, limit: int
    ) -> list[Intent]:
        """Returns dead intents, most recently completed first."""
        params = {"owner": owner, "namespace": namespace, "limit": limit}
        async with self._statement() as cur:
            rows = await (await self._run(cur, "intent_list_dead", params)).fetchall()
        return [_intent(row) for row in rows]

    async def intent_requeue(self, intent_id: str, now: float) -> Intent:
        """Reopens a dead intent with fresh attempts; raises NotFound unless it
        exists and is dead."""
        async with self._tx() as cur:
            params = {"id": intent_id, "now": now}
            row = await (await self._run(cur, "intent_requeue", params)).fetchone()
            if row is not None:
                await self._notify(cur)
        if row is None:
            raise NotFound(intent_id)
        return _intent(row)

    async def idempotency_purge(self, before: float) -> int:
        """Deletes idempotency records created before `before`; returns how many."""
        return await self._purge("idempotency_purge", {"before": before}, PURGE_BATCH)

    # -- key-value store ------------------------------------------------------
    async def kv_set(
        self, owner: str, key: str, value: bytes, expires_at: float, now: float
    ) -> None:
        """Stores a value for the owner, replacing any earlier one."""
        params = {
            "owner": owner,
            "key": key,
            "value": value,
            "expires_at": expires_at,
            "now": now,
        }
        async with self._statement() as cur:
            await self._run(cur, "kv_set", params)

    async def kv_get(self, owner: str, key: str, now: float) -> bytes | None:
        """Returns the owner's live value for the key, or None."""
        params = {"owner": owner, "key": key, "now": now}
        async with self._statement() as cur:
            row = await (await self._run(cur, "kv_get", params)).fetchone()
        return bytes(row["value"]) if row else None

    async def kv_purge(self, now: float) -> int:
        """Deletes expired entries; returns how many."""
        return await self._purge("kv_purge", {"now": now}, PURGE_BATCH)
