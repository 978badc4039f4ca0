"""Batches of publishes and claims on PostgreSQL, mixed into `PostgresStore`
(completions, single and many, are in completions.py).

Each batch is one transaction, and its main work one statement fed with one
array per column (`array_columns`): the publishes (intent_insert_many_notify)
and the claims (intent_claim_many, pipelined with the settling of expired
leases and the next due time). A publish refused for a reason known only at
write time (an idempotency key reused with another body) is its outcome; the
other items still commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.batches import Polled, PublishItem, PublishOutcome
from intent_bus.storage.errors import Conflict
from intent_bus.storage.params import (
    as_params,
    claim_params,
    lease_params,
    next_due_gate,
)
from intent_bus.storage.postgres.listener import work_payload
from intent_bus.storage.postgres.prepared import execute
from intent_bus.storage.postgres.records import intent_from_row
from intent_bus.storage.records import (
    ClaimQuery,
    Lease,
    Poll,
    StoredResponse,
    work_of,
)

Cursor = psycopg.AsyncCursor[DictRow]
Connection = psycopg.AsyncConnection[DictRow]


class PostgresBatches:
    """Batched publishes and claims."""

    if TYPE_CHECKING:
        _queries: dict[str, str]
        _origin: str

        def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _tx_connection(
            self,
        ) -> contextlib.AbstractAsyncContextManager[Connection]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...
        def _settle_params(self, now: float) -> dict[str, Any]: ...
        async def _claim_locked(
            self, params: dict[str, Any], next_due: float | None
        ) -> Poll: ...

    # -- publishes ---------------------------------------------------------------
    async def intent_publish_many(
        self, items: Sequence[PublishItem], now: float
    ) -> list[PublishOutcome]:
        """Inserts the whole batch in one statement, the rows passed as one
        array per column (each insert announces its work; PostgreSQL sends a
        transaction's identical notifications once), then looks up the
        recorded answers of the keys that were used, by an earlier item of
        the same batch too."""
        if not items:
            return []
        params = array_columns(
            [self._insert(item, now) for item in items], _BATCH_COLUMNS
        )
        async with self._statement() as cur:
            await self._run(cur, "intent_insert_many_notify", {**params, "now": now})
            fresh = {row["id"] for row in await cur.fetchall()}
        outcomes: list[PublishOutcome] = []
        for item in items:
            if item.intent.id in fresh:
                outcomes.append(None)
                continue
            assert item.idempotency is not None
            record = as_params(item.idempotency)
            async with self._statement() as cur:
                found = await (
                    await self._run(cur, "idempotency_get", record)
                ).fetchone()
            outcomes.append(_replay(item, found))
        return outcomes

    def _insert(self, item: PublishItem, now: float) -> dict[str, Any]:
        params = {
            **as_params(item.intent),
            "now": now,
            "notify_payload": work_payload(self._origin, work_of(item.intent)),
        }
        if item.idempotency is not None:
            params.update(as_params(item.idempotency))
        return params

    # -- claims ------------------------------------------------------------------
    async def intent_poll_many(
        self, query: ClaimQuery, leases: Sequence[Lease], now: float
    ) -> Polled:
        """Settles expired leases, claims up to one intent per lease in one
        statement, and reads the next due time gated on the first lease's
        token, in one pipeline and one transaction."""
        if not leases:
            return Polled([])
        shared = claim_params(query, now)
        batch = {
            **shared,
            **lease_params(leases[0], now),
            "max": len(leases),
            "claim_tokens": [lease.claim_token for lease in leases],
            "lease_expires_ats": [lease.expires_at for lease in leases],
            "worker_ids": [lease.worker_id for lease in leases],
        }
        async with self._tx_connection() as conn:
            async with conn.pipeline():
                await execute(
                    conn,
                    self._queries,
                    "intent_settle_leases_notify",
                    self._settle_params(now),
                )
                head = await execute(conn, self._queries, "intent_claim_many", batch)
                dues = [
                    await execute(
                        conn,
                        self._queries,
                        name,
                        {**shared, **next_due_gate(leases[0])},
                    )
                    for name in ("intent_next_due_private", "intent_next_due_public")
                ]
            rows = await head.fetchall()
            found = [(await cur.fetchone() or {}).get("next_due") for cur in dues]
        due = min((float(v) for v in found if v is not None), default=None)
        claimed = [intent_from_row(row) for row in rows if row["id"] is not None]
        checkpoints = [row["checkpoint"] for row in rows if row["id"] is not None]
        # A concurrency limit met on the way: the rest are claimed one locked
        # look each (_claim_locked), as single claims of limited intents are.
        deferred = bool(rows and rows[0]["deferred"])
        for lease in leases[len(claimed) :] if deferred else ():
            polled = await self._claim_locked(
                {**shared, **lease_params(lease, now)}, None
            )
            if polled.intent is None:
                break
            claimed.append(polled.intent)
            checkpoints.append(polled.checkpoint)
        if not claimed:
            return Polled([], due)
        return Polled(claimed, checkpoints=checkpoints)


_BATCH_COLUMNS = {
    "ids": "id",
    "owners": "owner",
    "goals": "goal",
    "payloads": "payload",
    "namespaces": "namespace",
    "visibilities": "visibility",
    "priorities": "priority",
    "run_ats": "run_at",
    "created_ats": "created_at",
    "max_attempts": "max_attempts",
    "backoff_bases": "backoff_base",
    "target_workers": "target_worker",
    "required_capabilities": "required_capability",
    "concurrency_keys": "concurrency_key",
    "key_ids": "key_id",
    "keys": "key",
    "body_hashes": "body_hash",
    "status_codes": "status_code",
    "responses": "response",
    "notify_payloads": "notify_payload",
}
"""intent_insert_many_notify's array parameters, each from one item field."""


def array_columns(
    rows: list[dict[str, Any]], columns: dict[str, str]
) -> dict[str, list[Any]]:
    """Rows of named parameters turned into one list per column (a row
    without a field, such as an item without an idempotency key, gives null)."""
    return {array: [row.get(field) for row in rows] for array, field in columns.items()}


def _replay(item: PublishItem, found: dict[str, Any] | None) -> PublishOutcome:
    """The recorded answer for an item whose key was used, or its refusal."""
    assert item.idempotency is not None
    key = item.idempotency.key
    if found is None:  # purged between the two statements: a day-old key
        return Conflict(f"idempotency key {key!r} expired meanwhile")
    if found["body_hash"] != item.idempotency.body_hash:
        return Conflict(f"idempotency key {key!r} reused")
    return StoredResponse(found["status_code"], bytes(found["response"]))
