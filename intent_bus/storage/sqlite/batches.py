"""The single writes of an intent's life as functions of the connection, and
the batches that repeat them, mixed into `SqliteStore`.

`SqliteStore`'s single publish, fulfill and fail run these same functions, one
per writer operation; a batch runs them in a loop inside ONE writer operation
(one transaction). An item refused for a reason known only at write time raises
before it writes anything, so its refusal is its outcome and the loop goes on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

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
from intent_bus.storage.params import as_params, fulfill_params, held_params
from intent_bus.storage.records import (
    ClaimQuery,
    Intent,
    Lease,
    RetryDelay,
    StoredResponse,
)
from intent_bus.storage.sqlite.claim import claim, next_due
from intent_bus.storage.sqlite.limits import holds_slot
from intent_bus.storage.sqlite.records import Q, fetch_intents, fetch_rows, first

T = TypeVar("T")


def publish(
    conn: sqlite3.Connection, item: PublishItem, now: float
) -> StoredResponse | None:
    """Inserts the intent, or returns the response its idempotency key recorded;
    raises Conflict when the key was used with another body."""
    idempotency = item.idempotency
    if idempotency is not None:
        found = fetch_rows(
            conn,
            "idempotency_get",
            {"key_id": idempotency.key_id, "key": idempotency.key},
        )
        if found:
            body_hash, status_code, response = found[0]
            if body_hash != idempotency.body_hash:
                raise Conflict("idempotency key was used with a different request")
            return StoredResponse(status_code, bytes(response))
    conn.execute(Q["intent_insert"], {**as_params(item.intent), "now": now})
    if idempotency is not None:
        conn.execute(Q["idempotency_insert"], {**as_params(idempotency), "now": now})
    return None


HoldsSlot = Callable[[sqlite3.Connection, Intent], bool]
"""Whether an intent's group has a concurrency limit: `holds_slot`, or its
memo for one batch (`_holds_slot_memo`)."""


def fulfill(
    conn: sqlite3.Connection,
    done: Completion,
    now: float,
    owner: str | None,
    holds: HoldsSlot = holds_slot,
) -> tuple[Intent, bool]:
    """Completes the lease with its result, or replays this token's fulfill;
    also says whether the ended lease freed a concurrency-limit slot."""
    params = fulfill_params(
        done.intent_id, done.claim_token, done.result, done.result_type, now, owner
    )
    fulfilled = fetch_intents(conn, "intent_fulfill", params)
    if fulfilled:
        return fulfilled[0], holds(conn, fulfilled[0])
    earlier = fetch_intents(conn, "intent_completed_by", params)
    replayed = replayed_fulfill(
        done.intent_id, first(earlier), done.result, done.result_type
    )
    return replayed, False


def fail(
    conn: sqlite3.Connection,
    done: Completion,
    retry_delay: RetryDelay,
    now: float,
    owner: str | None,
    holds: HoldsSlot = holds_slot,
) -> tuple[Intent, bool]:
    """Reopens, kills or cancels the leased intent, or replays this token's
    fail; also says whether the ended lease freed a concurrency-limit slot."""
    held = held_params(done.intent_id, done.claim_token, now, owner)
    leased = fetch_intents(conn, "intent_leased", held)
    if not leased:
        earlier = fetch_intents(conn, "intent_completed_by", held)
        return replayed_fail(done.intent_id, first(earlier), done.error), False
    intent = leased[0]
    params: dict[str, Any] = {**held, "error": done.error}
    ending = fail_ending(intent)
    if ending == "open":
        params["run_at"] = now + retry_delay(intent.claim_attempts, intent.backoff_base)
    return fetch_intents(conn, FAIL_QUERIES[ending], params)[0], holds(conn, intent)


class SqliteBatches:
    """Batches of publishes, claims and completions; each one writer operation."""

    if TYPE_CHECKING:

        async def _run(
            self, operation: Callable[[sqlite3.Connection], T], *, short: bool = False
        ) -> T: ...

        def _slot_freed(self, freed: bool) -> None: ...

    async def intent_publish_many(
        self, items: Sequence[PublishItem], now: float
    ) -> list[PublishOutcome]:
        def op(conn: sqlite3.Connection) -> list[PublishOutcome]:
            outcomes: list[PublishOutcome] = []
            for item in items:
                try:
                    outcomes.append(publish(conn, item, now))
                except Conflict as refused:
                    outcomes.append(refused)
            return outcomes

        return await self._run(op, short=True)

    async def intent_poll_many(
        self, query: ClaimQuery, leases: Sequence[Lease], now: float
    ) -> Polled:
        def op(conn: sqlite3.Connection) -> Polled:
            claimed: list[Intent] = []
            checkpoints: list[bytes | None] = []
            exhausted: set[str] = set()
            for index, lease in enumerate(leases):
                polled = claim(
                    conn, query, lease, now, settle=index == 0, exhausted=exhausted
                )
                if polled.intent is None:
                    break
                claimed.append(polled.intent)
                checkpoints.append(polled.checkpoint)
            if claimed or not leases:
                return Polled(claimed, checkpoints=checkpoints)
            return Polled([], next_due(conn, query, now, leases[0]))

        return await self._run(op, short=True)

    async def intent_complete_many(
        self,
        completions: Sequence[Completion],
        retry_delay: RetryDelay,
        now: float,
        *,
        owner: str | None = None,
    ) -> list[CompletionOutcome]:
        def op(conn: sqlite3.Connection) -> tuple[list[CompletionOutcome], bool]:
            outcomes: list[CompletionOutcome] = []
            any_freed = False
            holds = _holds_slot_memo()
            for done in completions:
                try:
                    if done.kind == "fulfill":
                        intent, freed = fulfill(conn, done, now, owner, holds)
                    else:
                        intent, freed = fail(conn, done, retry_delay, now, owner, holds)
                except LeaseLost as refused:
                    outcomes.append(refused)
                    continue
                outcomes.append(intent)
                any_freed = any_freed or freed
            return outcomes, any_freed

        outcomes, freed = await self._run(op, short=True)
        self._slot_freed(freed)
        return outcomes


def _holds_slot_memo() -> HoldsSlot:
    """`holds_slot` asked once per group within one batch's transaction (the
    verdicts of a batch are mostly of one goal); nothing in the batch sets or
    removes a limit."""
    known: dict[tuple[str, str, str], bool] = {}

    def holds(conn: sqlite3.Connection, intent: Intent) -> bool:
        group = (intent.owner, intent.namespace, intent.goal)
        found = known.get(group)
        if found is None:
            found = known[group] = holds_slot(conn, intent)
        return found

    return holds
