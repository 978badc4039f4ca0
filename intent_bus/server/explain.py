"""Why an intent is (not) running: reasons built from the intent, the pauses,
the workers registry and the queue ahead of it, with the same eligibility
predicates the claim SQL is pinned to (storage/eligibility.py).

`explain_intent` gathers the facts from the store at an injected `now`;
`explain` only reasons, so each reason code is testable without sleeping."""

from __future__ import annotations

from typing import Any, Final

from intent_bus import protocol
from intent_bus.server.workers import worker_state
from intent_bus.storage.base import Intent, Store
from intent_bus.storage.eligibility import (
    PauseKey,
    held_by_limit,
    is_due,
    is_paused,
    pause_keys,
)
from intent_bus.storage.limits import LimitBlock, LimitUsage
from intent_bus.storage.workers import ANY_GOAL, WorkerRecord

Reason = dict[str, Any]

LIVE: Final = protocol.WORKER_STATES[0]


def _reason(code: str, message: str, **details: Any) -> Reason:
    return {"code": code, "message": message, "details": details}


def polls(worker: WorkerRecord, intent: Intent) -> bool:
    """Whether the worker has claimed where it could get this intent."""
    if intent.visibility == protocol.VISIBILITY_PRIVATE and (
        worker.owner != intent.owner or intent.namespace not in worker.namespaces
    ):
        return False
    return intent.goal in worker.goals or ANY_GOAL in worker.goals


def terminal_reasons(intent: Intent) -> list[Reason]:
    if intent.status == protocol.STATUS_FULFILLED:
        return [_reason("fulfilled", "Fulfilled: a worker completed it.")]
    if intent.status == protocol.STATUS_DEAD:
        n = intent.claim_attempts
        attempts = f"{n} attempt" + ("" if n == 1 else "s")
        return [
            _reason(
                "dead",
                f"Dead after {attempts}: {intent.error or 'no error message'}.",
                last_error=intent.error,
            )
        ]
    return [_reason(intent.status, f"It is {intent.status}; it will not run again.")]


def limit_reason(block: LimitBlock) -> Reason:
    """The concurrency_limit reason: which limit, and what runs against it."""
    limit = block.limit
    per_key = (
        limit.max_per_key is not None
        and block.running_with_key is not None
        and block.running_with_key >= limit.max_per_key
    )
    message = (
        f"{block.running_with_key} intent(s) with concurrency key "
        f"{block.concurrency_key!r} are claimed; the limit is {limit.max_per_key}."
        if per_key
        else f"{block.running} intent(s) of goal {limit.goal!r} in namespace "
        f"{limit.namespace!r} are claimed; the limit is {limit.max_running}."
    )
    return _reason(
        protocol.EXPLAIN_CONCURRENCY_LIMIT,
        message,
        max_running=limit.max_running,
        running=block.running,
        max_per_key=limit.max_per_key,
        concurrency_key=block.concurrency_key,
        running_with_key=block.running_with_key,
    )


def explain(
    intent: Intent,
    pauses: set[PauseKey],
    workers: list[WorkerRecord],
    ahead: int,
    now: float,
    usage: LimitUsage | None = None,
) -> tuple[bool, list[Reason]]:
    """(claimable_now, reasons) for one intent at `now`."""
    if intent.status in protocol.TERMINAL_STATUSES or intent.status not in (
        protocol.STATUS_OPEN,
        protocol.STATUS_CLAIMED,
    ):
        return False, terminal_reasons(intent)
    if intent.status == protocol.STATUS_CLAIMED:
        return False, [
            _reason(
                "claimed",
                f"Worker {intent.worker_id or '(unnamed)'} holds it until "
                f"{intent.lease_expires_at}.",
                worker=intent.worker_id,
                lease_until=intent.lease_expires_at,
            )
        ]
    reasons: list[Reason] = []
    if not is_due(intent, now):
        if intent.claim_attempts > 0:
            reasons.append(
                _reason(
                    "backoff",
                    f"Attempt {intent.claim_attempts} failed; it is retried at "
                    f"{intent.run_at}.",
                    attempt=intent.claim_attempts,
                    last_error=intent.error,
                    due_at=intent.run_at,
                )
            )
        else:
            reasons.append(
                _reason(
                    "delayed",
                    f"It was published with a delay; due at {intent.run_at}.",
                    due_at=intent.run_at,
                )
            )
    paused = is_paused(intent, pauses)
    if paused:
        reasons.append(
            _reason(
                "paused",
                f"Claims of namespace {intent.namespace!r} (or goal "
                f"{intent.goal!r}) are paused.",
                namespace=intent.namespace,
                goal=intent.goal,
            )
        )
    block = held_by_limit(intent, usage) if usage is not None else None
    if block is not None:
        reasons.append(limit_reason(block))
    reasons += worker_reasons(intent, workers, now)
    claimable_now = is_due(intent, now) and not paused and block is None
    if claimable_now and ahead > 0:
        reasons.append(
            _reason(
                "behind_in_queue",
                f"{ahead} eligible intent(s) come first.",
                ahead=ahead,
            )
        )
    return claimable_now, reasons


def worker_reasons(
    intent: Intent, workers: list[WorkerRecord], now: float
) -> list[Reason]:
    """What the workers registry says about who could take it."""
    reasons: list[Reason] = []
    candidates = [w for w in workers if polls(w, intent)]
    live = [
        w for w in candidates if worker_state(w.last_seen, w.in_flight, now) == LIVE
    ]
    if not live:
        latest = max(candidates, key=lambda w: w.last_seen, default=None)
        reasons.append(
            _reason(
                "no_live_worker",
                "Waiting for a worker: none has polled this goal and namespace"
                " in the last minute"
                + (
                    f"; {latest.worker_id!r} last did at {latest.last_seen}."
                    if latest is not None
                    else "; none ever did."
                ),
                last_seen=None if latest is None else latest.last_seen,
                last_worker=None if latest is None else latest.worker_id,
            )
        )
    elif intent.required_capability is not None and not any(
        intent.required_capability in w.capabilities for w in live
    ):
        offered = sorted({c for w in live for c in w.capabilities})
        reasons.append(
            _reason(
                "capability_missing",
                f"It needs capability {intent.required_capability!r}; the live "
                f"workers offer {offered or 'none'}.",
                required=intent.required_capability,
                offered=offered,
            )
        )
    if intent.target_worker is not None:
        target = [w for w in workers if w.worker_id == intent.target_worker]
        if not any(worker_state(w.last_seen, w.in_flight, now) == LIVE for w in target):
            last = max((w.last_seen for w in target), default=None)
            reasons.append(
                _reason(
                    "target_worker_offline",
                    f"It is for worker {intent.target_worker!r}, which is not live.",
                    target=intent.target_worker,
                    last_seen=last,
                )
            )
    return reasons


async def explain_intent(
    store: Store, intent: Intent, now: float
) -> tuple[bool, list[Reason]]:
    """Gathers the facts about a visible intent and explains it."""
    pauses = pause_keys(await store.pause_list(intent.owner))
    # A public intent may be taken by any tenant's worker.
    private = intent.visibility == protocol.VISIBILITY_PRIVATE
    workers = await store.worker_list(
        intent.owner if private else None, now - protocol.WORKER_KEEP_SECONDS, now
    )
    waiting = intent.status == protocol.STATUS_OPEN and is_due(intent, now)
    ahead = await store.intent_ahead(intent.id, now) if waiting else 0
    usage = await store.limit_usage(intent.owner) if waiting else None
    return explain(intent, pauses, workers, ahead, now, usage)
