"""Completions on PostgreSQL, single and many, mixed into `PostgresStore`.

A batch is one transaction. Its fulfills take one statement, fed with one
array per column (intent_fulfill_many_notify). Its fails take two, because a
fail's ending and backoff are decided in Python from the lease it holds: one
locks and reads the leases (intent_leased_many), one ends them all with their
wake-ups (intent_fail_many_notify). The items that found no live lease
(retries, strays) are looked up in one more. Items for an id already in the
batch wait for the next wave, so each sees what the earlier one did. A single
fail, and the lone fail of a wave, take the single statements (intent_leased,
then intent_fail_reopen, _kill or _cancel). An item refused for a reason known
only at write time (a lost lease) raises in Python, not in the database, so
the transaction goes on and the item's refusal is its outcome. A lone fulfill
likewise takes the single fulfill's statements.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.batches import Completion, CompletionOutcome
from intent_bus.storage.completions import (
    FAIL_QUERIES,
    fail_ending,
    replayed_fail,
    replayed_fulfill,
)
from intent_bus.storage.errors import LeaseLost
from intent_bus.storage.params import fulfill_params, held_params
from intent_bus.storage.postgres.batches import array_columns
from intent_bus.storage.postgres.limits import FREED_ORIGIN
from intent_bus.storage.postgres.listener import work_payload
from intent_bus.storage.postgres.records import intent_from_row
from intent_bus.storage.records import Intent, RetryDelay, Work, work_of

Cursor = psycopg.AsyncCursor[DictRow]


class PostgresCompletions:
    """Single and batched fulfills and fails."""

    if TYPE_CHECKING:
        _origin: str

        def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...
        async def _notify(self, cur: Cursor, work: Work | None) -> None: ...
        async def _free_slot(self, cur: Cursor, intent: Intent) -> None: ...

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
        # A lone fulfill or fail takes the single statements: the array ones,
        # fed one item, are planned afresh on every call (their custom plan,
        # which sees one item, is priced far below the generic one, which
        # expects ten, so PostgreSQL never keeps the generic one), and that
        # planning costs more than the round trips it saves. A worker's
        # reporter sends batches of one whenever the queue is quiet.
        if len(fulfills) == 1:
            [lone] = fulfills
            ended[lone.intent_id] = await _outcome(
                self._fulfill_in(cur, lone, now, owner)
            )
        elif fulfills:
            ended.update(await self._fulfill_many(cur, fulfills, now, owner))
        if len(fails) == 1:
            [lone] = fails
            ended[lone.intent_id] = await _outcome(
                self._fail_in(cur, lone, retry_delay, now, owner)
            )
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
            **array_columns(rows, _FAIL_COLUMNS),
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
        params = {**array_columns(rows, _COMPLETED_BY_COLUMNS), "lease_owner": owner}
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
            **array_columns(rows, _FULFILL_COLUMNS),
            "now": now,
            "lease_owner": owner,
            "freed_origin": FREED_ORIGIN,
        }
        await self._run(cur, "intent_fulfill_many_notify", params)
        return {row["id"]: intent_from_row(row) for row in await cur.fetchall()}


async def _outcome(completing: Awaitable[Intent]) -> CompletionOutcome:
    """A single completion's answer as a batch item's outcome: its refusal too."""
    try:
        return await completing
    except LeaseLost as refused:
        return refused


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
