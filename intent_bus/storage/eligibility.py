"""Which open intents a claim may take: the one definition that the explain
endpoint reasons with. The claim SQL (`intent_candidate_*`, `intent_claim`)
is pinned to it by tests/contract/test_eligibility.py, which checks over
generated intents and claim queries that a claim takes exactly the best intent
this predicate calls eligible.
"""

from __future__ import annotations

from collections.abc import Iterable

from intent_bus.protocol import STATUS_OPEN, VISIBILITY_PRIVATE
from intent_bus.storage.base import ClaimQuery, Intent, Pause
from intent_bus.storage.limits import LimitBlock, LimitUsage, limit_block

PauseKey = tuple[str, str, str]


def pause_keys(pauses: Iterable[Pause]) -> set[PauseKey]:
    """(owner, namespace, goal or "" for the whole namespace) of each pause."""
    return {(p.owner, p.namespace, p.goal or "") for p in pauses}


def is_paused(intent: Intent, pauses: set[PauseKey]) -> bool:
    """Paused by its publisher, for its namespace or its goal."""
    return (intent.owner, intent.namespace, "") in pauses or (
        intent.owner,
        intent.namespace,
        intent.goal,
    ) in pauses


def is_due(intent: Intent, now: float) -> bool:
    return intent.run_at <= now


def is_visible(intent: Intent, query: ClaimQuery) -> bool:
    """Private intents to their tenant in their namespace; public ones to all;
    narrowed by the claim's goal and publisher."""
    if intent.visibility == VISIBILITY_PRIVATE and (
        intent.owner != query.owner or intent.namespace != query.namespace
    ):
        return False
    if query.goal is not None and intent.goal != query.goal:
        return False
    return query.publisher is None or intent.owner == query.publisher


def fits_worker(intent: Intent, query: ClaimQuery) -> bool:
    """The intent's target worker and required capability, if any, match."""
    if intent.target_worker is not None and intent.target_worker != query.worker_id:
        return False
    return (
        intent.required_capability is None
        or intent.required_capability in query.capabilities
    )


def held_by_limit(intent: Intent, usage: LimitUsage) -> LimitBlock | None:
    """The concurrency limit that keeps the intent waiting, if one does."""
    return limit_block(
        intent.owner, intent.namespace, intent.goal, intent.concurrency_key, usage
    )


def claimable(
    intent: Intent,
    query: ClaimQuery,
    pauses: set[PauseKey],
    now: float,
    usage: LimitUsage | None = None,
) -> bool:
    """Whether a claim by `query` at `now` may take the intent (with the
    claimed counts of `usage`; none: no limits)."""
    return (
        intent.status == STATUS_OPEN
        and is_due(intent, now)
        and not is_paused(intent, pauses)
        and (usage is None or held_by_limit(intent, usage) is None)
        and is_visible(intent, query)
        and fits_worker(intent, query)
    )


def claim_order(intent: Intent, seq: int) -> tuple[int, float, int]:
    """The order claims take eligible intents in: priority first, then the
    earliest due, then the first published."""
    return (-intent.priority, intent.run_at, seq)
