"""Batches of publishes, claims and completions on PostgreSQL, mixed into
`PostgresStore`, and the single fulfill and fail.

Each batch is one transaction, and its main work one statement fed with one
array per column: the publishes (intent_insert_many_notify), the claims
(intent_claim_many, pipelined with the settling of expired leases and the
next due time) and the fulfills of a completion batch
(intent_fulfill_many_notify). Its fails take two, because a fail's backoff is
decided in Python from the lease it holds: one locks and reads the leases
(intent_leased_many), one ends them all (intent_fail_many_notify); the items
that found no live lease (retries, strays) are looked up in one more. A single
fail, and the lone fail of a batch, take the single statements (intent_leased,
then intent_fail_reopen, _kill or _cancel). An item
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
from intent_bus.storage.completions import (
    FAIL_QUERIES,
    fail_ending,
    replayed_fail,
    replayed_fulfill,
)
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
        """One fail with the single statements (see `_complete_distinct`)."""
        held_lease = held_params(done.intent_id, done.claim_token, now, owner)
        params: dict[str, Any] = {**held_lease, "error": done.error}
        held = await (await self._run(cur, "intent_leased", held_lease)).fetchone()
        if held is None:
            earlier = await self._completed_by(cur, held_lease)
            return replayed_fail(done.intent_id, earlier, done.error)
        intent = intent_from_row(held)
        ending = fail_ending(intent)
        if ending == "open":
            delay = retry_delay(intent.claim_attempts, intent.backoff_base)
            params["run_at"] = now + delay
        await self._run(cur, FAIL_QUERIES[ending], params)
        row = await cur.fetchone()
        assert row is not None
        failed = intent_from_row(row)
        if ending == "open":
            await self._notify(cur, work_of(failed))
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
        """The items in waves of distinct ids, each a few statements whatever
        its size (`_complete_distinct`): the first item of each id, then the
        second of each repeated id, and so on, so that a later item for an id
        finds the lease as the earlier one left it, as sequential processing
        would; items of distinct ids do not see each other."""
        waves: list[list[int]] = []
        seen: dict[str, int] = {}
        for index, done in enumerate(completions):
            wave = seen.get(done.intent_id, 0)
            seen[done.intent_id] = wave + 1
            if wave == len(waves):
                waves.append([])
            waves[wave].append(index)
        outcomes: dict[int, CompletionOutcome] = {}
        async with self._tx() as cur:
            for wave_items in waves:
                batch = [completions[index] for index in wave_items]
                answered = await self._complete_distinct(
                    cur, batch, retry_delay, now, owner
                )
                outcomes.update(zip(wave_items, answered, strict=True))
        return [outcomes[index] for index in range(len(completions))]

    async def _complete_distinct(
        self,
        cur: Cursor,
        batch: Sequence[Completion],
        retry_delay: RetryDelay,
        now: float,
        owner: str | None,
    ) -> list[CompletionOutcome]:
        """Completes items of distinct ids: the fulfills in one statement, the
        fails in two (`_fail_many`), and those that found no live lease (a
        retry of the token's own completion, or a stray) looked up in one."""
        fulfills = [done for done in batch if done.kind == "fulfill"]
        fails = [done for done in batch if done.kind == "fail"]
        ended: dict[str, CompletionOutcome] = {}
        if fulfills:
            ended.update(await self._fulfill_many(cur, fulfills, now, owner))
        if len(fails) == 1:
            # A lone fail takes the single statements: the array ones, fed one
            # item, are planned afresh on every call (their custom plan, which
            # sees one item, is priced far below the generic one, which
            # expects ten, so PostgreSQL never keeps the generic one), and
            # that planning costs more than the round trips it saves.
            try:
                failed = await self._fail_in(cur, fails[0], retry_delay, now, owner)
                ended[fails[0].intent_id] = failed
            except LeaseLost as refused:
                ended[fails[0].intent_id] = refused
        elif fails:
            ended.update(await self._fail_many(cur, fails, retry_delay, now, owner))
        missed = [done for done in batch if done.intent_id not in ended]
        earlier = await self._completed_by_many(cur, missed, now, owner)
        outcomes: list[CompletionOutcome] = []
        for done in batch:
            if done.intent_id in ended:
                outcomes.append(ended[done.intent_id])
                continue
            found = earlier.get(done.intent_id)
            try:
                if done.kind == "fulfill":
                    outcomes.append(
                        replayed_fulfill(
                            done.intent_id, found, done.result, done.result_type
                        )
                    )
                else:
                    outcomes.append(replayed_fail(done.intent_id, found, done.error))
            except LeaseLost as refused:
                outcomes.append(refused)
        return outcomes

    async def _fail_many(
        self,
        cur: Cursor,
        batch: Sequence[Completion],
        retry_delay: RetryDelay,
        now: float,
        owner: str | None,
    ) -> dict[str, Intent]:
        """Ends the leases of the fails (distinct ids) whose token holds them
        live, as single fails: one statement locks and reads them, Python
        decides each ending and its backoff (`fail_ending`, `retry_delay`),
        one statement writes them all and sends their wake-ups; returns them
        by id."""
        held = {
            "ids": [done.intent_id for done in batch],
            "claim_tokens": [done.claim_token for done in batch],
            "now": now,
            "lease_owner": owner,
        }
        await self._run(cur, "intent_leased_many", held)
        leased = {row["id"]: intent_from_row(row) for row in await cur.fetchall()}
        rows: list[dict[str, Any]] = []
        for done in batch:
            intent = leased.get(done.intent_id)
            if intent is None:
                continue
            status = fail_ending(intent)
            reopened = status == "open"
            rows.append(
                {
                    **held_params(done.intent_id, done.claim_token, now, owner),
                    "error": done.error,
                    "status": status,
                    "run_at": (
                        now + retry_delay(intent.claim_attempts, intent.backoff_base)
                        if reopened
                        else None
                    ),
                    "notify_payload": (
                        work_payload(self._origin, work_of(intent))
                        if reopened
                        else None
                    ),
                }
            )
        if not rows:
            return {}
        params = {
            **_columns(rows, _FAIL_COLUMNS),
            "now": now,
            "freed_origin": FREED_ORIGIN,
        }
        await self._run(cur, "intent_fail_many_notify", params)
        return {row["id"]: intent_from_row(row) for row in await cur.fetchall()}

    async def _completed_by_many(
        self,
        cur: Cursor,
        batch: Sequence[Completion],
        now: float,
        owner: str | None,
    ) -> dict[str, Intent]:
        """The intents the items' tokens (distinct ids) completed last, by id."""
        if not batch:
            return {}
        rows = [held_params(d.intent_id, d.claim_token, now, owner) for d in batch]
        params = {**_columns(rows, _COMPLETED_BY_COLUMNS), "lease_owner": owner}
        await self._run(cur, "intent_completed_by_many", params)
        return {row["id"]: intent_from_row(row) for row in await cur.fetchall()}

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

_FAIL_COLUMNS = {
    "ids": "id",
    "claim_tokens": "claim_token",
    "statuses": "status",
    "run_ats": "run_at",
    "errors": "error",
    "token_hashes": "token_hash",
    "notify_payloads": "notify_payload",
}
"""intent_fail_many_notify's array parameters."""

_COMPLETED_BY_COLUMNS = {"ids": "id", "token_hashes": "token_hash"}
"""intent_completed_by_many's array parameters."""


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
