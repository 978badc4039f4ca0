"""Which statements the PostgreSQL backend prepares, and how it sends any statement.

Preparing a statement saves its parse, analysis and planning on every later
call on that connection, but its plan then becomes generic: made once, without
the parameters' values. That is right only for a statement whose plan does not
depend on them: the ones below find their rows by a unique key (id, an
idempotency key, a nonce, a kv key) or walk one partial index in order (the
expired leases), whatever the values. The claim has one candidate per filter
shape (goal given or not, publisher given or not), each walking its own index
and switched on by a condition on the parameters alone, so its generic plan is
right too; so has the next-due time. The limited claim is left unprepared:
their optional filters (``CAST(:goal AS TEXT) IS NULL OR goal = :goal``) fold
away only in a plan made with the values, which is what picks the goal or
publisher index among the partial ones. tests/unit/storage/
test_postgres_plans.py checks the generic plan of each statement here.

Preparing is a setting (``?prepare=off`` in the URL) because a pooler that
hands each transaction another server session, such as PgBouncer in transaction
mode before 1.21, cannot keep a session's prepared statements.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import DictRow

PREPARED = frozenset(
    {
        # a job's own writes, by id or by key
        "intent_insert_notify",
        "intent_insert_idempotent_notify",
        "intent_insert_many_notify",
        "idempotency_get",
        "intent_fulfill_notify",
        "intent_fulfill_many_notify",
        "intent_leased",
        "intent_leased_many",
        "intent_completed_by",
        "intent_completed_by_many",
        "intent_fail_reopen",
        "intent_fail_kill",
        "intent_fail_cancel",
        "intent_fail_many_notify",
        "intent_extend",
        "intent_progress_save",
        "intent_progress_get",
        "intent_get",
        "intent_settle_lease",
        # one candidate per filter shape, switched by the parameters alone
        "intent_claim",
        "intent_claim_many",
        "intent_next_due_private",
        "intent_next_due_public",
        # every claim settles expired leases first: one partial index, in order
        "intent_settle_leases_notify",
        "work_notify",
        # who may call
        "key_get",
        "nonce_remember",
        "nonce_take",
        "rate_hit",
        "rate_forget",
        "kv_set",
        "kv_get",
    }
)

NEVER = 2**31 - 1
"""psycopg's automatic-preparation threshold when preparing is on: never
automatic, only the statements named above (psycopg ignores ``prepare=True``
when the threshold is None)."""


def prepare_threshold(enabled: bool) -> int | None:
    """The connection's ``prepare_threshold``: None turns preparing off whole."""
    return NEVER if enabled else None


async def execute(
    target: psycopg.AsyncConnection[DictRow] | psycopg.AsyncCursor[DictRow],
    queries: dict[str, str],
    name: str,
    params: dict[str, Any],
) -> psycopg.AsyncCursor[DictRow]:
    """Sends the named statement, prepared if it is one of `PREPARED`."""
    return await target.execute(queries[name], params, prepare=name in PREPARED)
