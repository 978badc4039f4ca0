"""Named SQL parameters built from the Store's arguments, once for both dialects.

Both query files take the same parameter names for the same query name (a unit
test pins that), so the dictionaries a backend binds are built here, and a backend
only adapts the few values its driver wants in another shape (the capability list).
"""

from __future__ import annotations

import hashlib
from typing import Any

from intent_bus.storage.base import BulkFilter, ClaimQuery, Lease, ProgressReport


def as_params(record: Any) -> dict[str, Any]:
    """A record's fields as named query parameters.

    A shallow copy: `dataclasses.asdict` deep-copies every value, which showed
    up in profiles of the publish path.
    """
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def group_params(owner: str, namespace: str, goal: str) -> dict[str, Any]:
    """A group of intents (what a concurrency limit is kept per)."""
    return {"owner": owner, "namespace": namespace, "goal": goal}


def limit_params(
    owner: str,
    namespace: str,
    goal: str,
    max_running: int,
    max_per_key: int | None,
    now: float,
) -> dict[str, Any]:
    """The limit `limit_set` writes, for both dialects' query."""
    return {
        **group_params(owner, namespace, goal),
        "max_running": max_running,
        "max_per_key": max_per_key,
        "now": now,
    }


def claim_params(query: ClaimQuery, now: float) -> dict[str, Any]:
    """Who is claiming, for the candidate and next-due queries.

    `capabilities` is a list; SQLite binds it JSON-encoded (see its store).
    """
    return {
        "owner": query.owner,
        "namespace": query.namespace,
        "goal": query.goal,
        "publisher": query.publisher,
        "worker_id": query.worker_id,
        "capabilities": list(query.capabilities),
        "now": now,
    }


def lease_params(lease: Lease, now: float) -> dict[str, Any]:
    """The lease a claim writes onto the intent it picked."""
    return {
        "claim_token": lease.claim_token,
        "lease_expires_at": lease.expires_at,
        "worker_id": lease.worker_id,
        "now": now,
    }


def next_due_gate(lease: Lease | None) -> dict[str, Any]:
    """The lease whose claim, when it took an intent, spares the next-due
    queries their scan (they answer NULL); with no lease they always answer."""
    return {
        "claim_token": lease.claim_token if lease else None,
        "lease_expires_at": lease.expires_at if lease else None,
    }


def token_hash(claim_token: str) -> str:
    """What a completed intent keeps of the token that completed it: enough to
    recognise that token's retry, not enough to act with it."""
    return hashlib.sha256(claim_token.encode()).hexdigest()


def fulfill_params(
    intent_id: str,
    claim_token: str,
    result: bytes | None,
    result_type: str,
    now: float,
    owner: str | None,
) -> dict[str, Any]:
    return {
        **held_params(intent_id, claim_token, now, owner),
        "result": result,
        "result_type": result_type,
    }


def extend_params(
    intent_id: str, claim_token: str, expires_at: float, now: float, owner: str | None
) -> dict[str, Any]:
    return {
        "id": intent_id,
        "claim_token": claim_token,
        "lease_expires_at": expires_at,
        "now": now,
        "lease_owner": owner,
    }


def progress_params(
    intent_id: str, report: ProgressReport, now: float
) -> dict[str, Any]:
    return {
        "id": intent_id,
        "progress": report.progress,
        "checkpoint": report.checkpoint,
        "now": now,
    }


def held_params(
    intent_id: str, claim_token: str, now: float, owner: str | None
) -> dict[str, Any]:
    """Which lease a completion must hold (`intent_leased`), and how its retry
    is recognised (`intent_completed_by`)."""
    return {
        "id": intent_id,
        "claim_token": claim_token,
        "now": now,
        "lease_owner": owner,
        "token_hash": token_hash(claim_token),
    }


def kv_set_params(
    owner: str, key: str, value: bytes, expires_at: float, now: float
) -> dict[str, Any]:
    return {
        "owner": owner,
        "key": key,
        "value": value,
        "expires_at": expires_at,
        "now": now,
    }


def kv_get_params(owner: str, key: str, now: float) -> dict[str, Any]:
    return {"owner": owner, "key": key, "now": now}


def dead_list_params(
    owner: str | None, namespace: str | None, limit: int
) -> dict[str, Any]:
    return {"owner": owner, "namespace": namespace, "limit": limit}


def bulk_params(match: BulkFilter) -> dict[str, Any]:
    """A bulk filter, its error substring as a lowercase LIKE pattern (escaped
    with a backslash, so `%` and `_` match themselves)."""
    pattern = None
    if match.error_contains is not None:
        escaped = match.error_contains.lower()
        for special in ("\\", "%", "_"):
            escaped = escaped.replace(special, "\\" + special)
        pattern = f"%{escaped}%"
    return {
        "status": match.status,
        "owner": match.owner,
        "goal": match.goal,
        "namespace": match.namespace,
        "error_pattern": pattern,
    }
