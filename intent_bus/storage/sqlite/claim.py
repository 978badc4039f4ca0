"""How SQLite picks and leases the intent a claim gets, inside the writer's
transaction, and when the claimer's next intent falls due.

Visibility is "private to (owner, namespace) OR public"; one OR query could not
walk an index in claim order, so each half has its own indexed lookup
(``intent_candidate_*``) and the better of their first rows is leased by
``intent_claim_chosen``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

from intent_bus.storage.base import ClaimQuery, Lease, Poll
from intent_bus.storage.params import claim_params, lease_params, next_due_gate
from intent_bus.storage.sqlite.records import Q, fetch_intents, fetch_rows

CLAIM_SETTLE_LIMIT: Final = 256
"""Expired leases a claim settles before picking; housekeeping reaps the rest."""


def query_params(query: ClaimQuery, now: float) -> dict[str, Any]:
    """The shared claim parameters, capabilities JSON-encoded for json_each."""
    params = claim_params(query, now)
    params["capabilities"] = json.dumps(params["capabilities"])
    return params


def _candidate_queries(query: ClaimQuery) -> list[str]:
    """Names the indexed lookups whose best rows compete for a claim."""
    names: list[str] = []
    if query.publisher is None or query.publisher == query.owner:
        names.append(
            "intent_candidate_private"
            if query.goal is None
            else "intent_candidate_private_goal"
        )
    if query.publisher is not None:
        names.append("intent_candidate_public_publisher")
    elif query.goal is not None:
        names.append("intent_candidate_public_goal")
    else:
        names.append("intent_candidate_public")
    return names


def claim(
    conn: sqlite3.Connection,
    query: ClaimQuery,
    lease: Lease,
    now: float,
    *,
    settle: bool = True,
    exhausted: set[str] | None = None,
) -> Poll:
    """Settles expired leases, then leases the best candidate and reads the
    checkpoint saved for it; one transaction. No next due time.

    The claims of a batch run in one transaction at one `now`, where the
    candidates can only dwindle (each claim takes one; nothing is published or
    settled meanwhile). So a batch settles with its first claim only
    (`settle`; what that left past CLAIM_SETTLE_LIMIT goes to housekeeping, as
    after a single claim), and a candidate lookup that came back empty is not
    run again: `exhausted` collects their names across the batch's claims."""
    if settle:
        # Expired leases first: their intents may be the best candidates.
        conn.execute(
            Q["intent_settle_leases"], {"now": now, "limit": CLAIM_SETTLE_LIMIT}
        )
    params = query_params(query, now)
    best: tuple[int, float, int] | None = None
    for name in _candidate_queries(query):
        if exhausted is not None and name in exhausted:
            continue
        rows = fetch_rows(conn, name, params)
        if not rows:
            if exhausted is not None:
                exhausted.add(name)
            continue
        seq, priority, run_at = rows[0]
        rank = (-priority, run_at, seq)
        if best is None or rank < best:
            best = rank
    if best is None:
        return Poll(None)
    granted = {**lease_params(lease, now), "seq": best[2], "owner": query.owner}
    intent = fetch_intents(conn, "intent_claim_chosen", granted)[0]
    # A primary-key lookup; it misses for nearly every intent.
    saved = fetch_rows(conn, "intent_checkpoint", {"seq": best[2]})
    return Poll(
        intent, checkpoint=bytes(saved[0][0]) if saved and saved[0][0] else None
    )


def next_due(
    conn: sqlite3.Connection, query: ClaimQuery, now: float, lease: Lease | None
) -> float | None:
    """The earlier of the private and public next due times (see next_due_gate)."""
    params = {**query_params(query, now), **next_due_gate(lease)}
    names = ("intent_next_due_private", "intent_next_due_public")
    due = [fetch_rows(conn, name, params)[0][0] for name in names]
    found = [value for value in due if value is not None]
    return min(found) if found else None
