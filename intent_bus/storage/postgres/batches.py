"""Batches of publishes, claims and completions on PostgreSQL, mixed into
`PostgresStore`, and the single fulfill and fail they repeat.

Each batch is one transaction, and its main work one statement fed with one
array per column: the publishes (intent_insert_many_notify), the claims
(intent_claim_many, pipelined with the settling of expired leases and the
next due time) and the fulfills of a completion batch
(intent_fulfill_many_notify). Fails, and fulfills that are retries or stale,
run one after the other as the single ones do, because a fail must read its
lease before it writes. An item
refused for a reason known only at write time (an idempotency key reused with
another body, a lost lease) raises in Python, not in the database, so the
transaction goes on and the item's refusal is its outcome.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.batches import (
    Completion,
    CompletionOutcome,
    Polled,
    PublishItem,
    PublishOutcome,
)
from intent_bus.storage.completions import replayed_fail, replayed_fulfill
from intent_bus.storage.errors import Conflict, LeaseLost
from intent_bus.storage.params import (
    as_params,
    claim_params,
    fulfill_params,
    held_params,
    lease_params,
    next_due_gate,
)
from intent_bus.storage.postgres.limits import FREED_ORIGIN
from intent_bus.storage.postgres.listener import work_payload
from intent_bus.storage.postgres.prepared import execute
from intent_bus.storage.postgres.records import intent_from_row
from intent_bus.storage.records import (
    ClaimQuery,
    Intent,
    Lease,
    Poll,
    RetryDelay,
    StoredResponse,
    Work,
    work_of,
)

Cursor = psycopg.AsyncCursor[DictRow]
Connection = psycopg.AsyncConnection[DictRow]


class PostgresBatches:
    """Single and batched completions, batched publishes and claims."""

    if TYPE_CHECKING:
        _queries: dict[str, str]
        _origin: str

        def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _tx_connection(
            self,
        ) -> contextlib.AbstractAsyncContextManager[Connection]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...
        async def _notify(self, cur: Cursor, work: Work | None) -> None: ...
        def _settle_params(self, now: float) -> dict[str, Any]: ...
        async def _free_slot(self, cur: Cursor, intent: Intent) -> None: ...
        async def _claim_locked(
            self, params: dict[str, Any], next_due: float | None
        ) -> Poll: ...

    # -- completions, single and many -----------------------------------------
    async def _fulfill_in(
        self, cur: Cursor, done: Completion, now: float, owner: str | None
    ) -> Intent:
        params = {
            **fulfill_params(
                done.intent_id,
                done.claim_token,
                done.result,
                done.result_type,
                now,
                owner,
            ),
            "freed_origin": FREED_ORIGIN,
        }
        row = await (await self._run(cur, "intent_fulfill_notify", params)).fetchone()
        if row is not None:
            return intent_from_row(row)
        # No live lease: a retry of this token's own fulfill, or a stray.
        earlier = await self._completed_by(cur, params)
        return replayed_fulfill(done.intent_id, earlier, done.result, done.result_type)

    async def _fail_in(
        self,
        cur: Cursor,
        done: Completion,
        retry_delay: RetryDelay,
        now: float,
        owner: str | None,
    ) -> Intent:
        held_lease = held_params(done.intent_id, done.claim_token, now, owner)
        params: dict[str, Any] = {**held_lease, "error": done.error}
        held = await (await self._run(cur, "intent_leased", held_lease)).fetchone()
        if held is None:
            earlier = await self._completed_by(cur, held_lease)
            return replayed_fail(done.intent_id, earlier, done.error)
        if held["cancel_requested"]:
            await self._run(cur, "intent_fail_cancel", params)
            row = await cur.fetchone()
        elif held["claim_attempts"] < held["max_attempts"]:
            delay = retry_delay(held["claim_attempts"], held["backoff_base"])
            await self._run(
                cur, "intent_fail_reopen", {**params, "run_at": now + delay}
            )
            row = await cur.fetchone()
            assert row is not None
            await self._notify(cur, work_of(intent_from_row(row)))
        else:
            await self._run(cur, "intent_fail_kill", params)
            row = await cur.fetchone()
        assert row is not None
        failed = intent_from_row(row)
        await self._free_slot(cur, failed)
        return failed

    async def _completed_by(self, cur: Cursor, params: dict[str, Any]) -> Intent | None:
        row = await (await self._run(cur, "intent_completed_by", params)).fetchone()
        return intent_from_row(row) if row else None

    async def intent_complete_many(
        self,
        completions: Sequence[Completion],
        retry_delay: RetryDelay,
        now: float,
        *,
        owner: str | None = None,
    ) -> list[CompletionOutcome]:
        """The fulfills first, in one statement (the first item of each id);
        then, in order, each fulfill it did not complete (a retry, a stale
        token or a repeated id) and each fail, as the single ones do."""
        outcomes: dict[int, CompletionOutcome] = {}
        async with self._tx() as cur:
            firsts: dict[str, int] = {}
            for index, done in enumerate(completions):
                if done.kind == "fulfill":
                    firsts.setdefault(done.intent_id, index)
            if firsts:
                completed = await self._fulfill_many(
                    cur, [completions[i] for i in firsts.values()], now, owner
                )
                for intent_id, index in firsts.items():
                    if intent_id in completed:
                        outcomes[index] = completed[intent_id]
            for index, done in enumerate(completions):
                if index in outcomes:
                    continue
                try:
                    if done.kind == "fulfill":
                        outcomes[index] = await self._fulfill_in(cur, done, now, owner)
                    else:
                        outcomes[index] = await self._fail_in(
                            cur, done, retry_delay, now, owner
                        )
                except LeaseLost as refused:
                    outcomes[index] = refused
        return [outcomes[index] for index in range(len(completions))]

    async def _fulfill_many(
        self,
        cur: Cursor,
        batch: Sequence[Completion],
        now: float,
        owner: str | None,
    ) -> dict[str, Intent]:
        """Completes the fulfills (distinct ids) whose lease is live; returns
        them by id."""
        rows = [
            fulfill_params(
                d.intent_id, d.claim_token, d.result, d.result_type, now, owner
            )
            for d in batch
        ]
        params = {
            **_columns(rows, _FULFILL_COLUMNS),
            "now": now,
            "lease_owner": owner,
            "freed_origin": FREED_ORIGIN,
        }
        await self._run(cur, "intent_fulfill_many_notify", params)
        return {row["id"]: intent_from_row(row) for row in await cur.fetchall()}

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
        params = _columns([self._insert(item, now) for item in items], _BATCH_COLUMNS)
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

_FULFILL_COLUMNS = {
    "ids": "id",
    "claim_tokens": "claim_token",
    "results": "result",
    "result_types": "result_type",
    "token_hashes": "token_hash",
}
"""intent_fulfill_many_notify's array parameters."""


def _columns(
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
