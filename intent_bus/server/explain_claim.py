"""GET /explain/claim: what a worker's claim could see and why each group of
intents is not claimable, without claiming. Classified with the same
eligibility predicates as the claim (storage/eligibility.py), over a bounded
sample: the claimer's tenant's newest open intents and the first open public
ones, SAMPLE of each."""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from intent_bus import protocol
from intent_bus.storage.base import ClaimQuery, Intent, Store
from intent_bus.storage.eligibility import (
    PauseKey,
    held_by_limit,
    is_due,
    is_paused,
    pause_keys,
)
from intent_bus.storage.limits import GroupKey, LimitUsage
from intent_bus.storage.search import IntentFilter

SAMPLE: Final = 1000
"""Open intents of each kind (the tenant's, public) one explanation reads."""

_MESSAGES: Final = {
    "other_namespace": "Open intents of your tenant wait in another namespace.",
    "paused": "Claims of these intents are paused.",
    protocol.EXPLAIN_CONCURRENCY_LIMIT: (
        "A concurrency limit is reached for these (see details)."
    ),
    "delayed": "These are not due yet (earliest at details.until).",
    "targeted_elsewhere": "These are targeted at another worker.",
    "capability_missing": "These need a capability this worker did not offer.",
    "none_open": "There is no open intent this claim could see.",
}


def classify(
    intent: Intent,
    query: ClaimQuery,
    pauses: set[PauseKey],
    now: float,
    usage: LimitUsage | None = None,
) -> str | None:
    """Why a claim would skip this intent ("claimable" if it would not); None
    when the claim's goal or publisher filter excludes it anyway."""
    if query.goal is not None and intent.goal != query.goal:
        return None
    if query.publisher is not None and intent.owner != query.publisher:
        return None
    if intent.visibility == protocol.VISIBILITY_PRIVATE:
        if intent.owner != query.owner:
            return None
        if intent.namespace != query.namespace:
            return "other_namespace"
    if is_paused(intent, pauses):
        return "paused"
    if not is_due(intent, now):
        return "delayed"
    if usage is not None and held_by_limit(intent, usage) is not None:
        return protocol.EXPLAIN_CONCURRENCY_LIMIT
    if intent.target_worker is not None and intent.target_worker != query.worker_id:
        return "targeted_elsewhere"
    if (
        intent.required_capability is not None
        and intent.required_capability not in query.capabilities
    ):
        return "capability_missing"
    return "claimable"


def explain_claim(
    intents: list[Intent],
    query: ClaimQuery,
    pauses: set[PauseKey],
    now: float,
    usage: LimitUsage | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """(claimable count, groups of the others with their code and count); the
    intents a concurrency limit holds back are grouped per limit."""
    counts: Counter[tuple[str, str | None, GroupKey | None]] = Counter()
    until: float | None = None
    for intent in intents:
        code = classify(intent, query, pauses, now, usage)
        if code is None:
            continue
        if code == "delayed":
            until = intent.run_at if until is None else min(until, intent.run_at)
        capability = (
            intent.required_capability if code == "capability_missing" else None
        )
        limited = (
            (intent.owner, intent.namespace, intent.goal)
            if code == protocol.EXPLAIN_CONCURRENCY_LIMIT
            else None
        )
        counts[(code, capability, limited)] += 1
    claimable = counts.pop(("claimable", None, None), 0)
    groups: list[dict[str, Any]] = []
    for (code, capability, limited), count in sorted(
        counts.items(), key=lambda kv: (kv[0][0], kv[0][2] or ())
    ):
        details: dict[str, Any] = {}
        if code == "delayed":
            details["until"] = until
        if capability is not None:
            details["capability"] = capability
        if limited is not None and usage is not None:
            details |= _limit_details(limited, usage)
        groups.append(
            {
                "code": code,
                "message": _MESSAGES[code],
                "count": count,
                "details": details,
            }
        )
    if not claimable and not groups:
        groups.append(
            {
                "code": "none_open",
                "message": _MESSAGES["none_open"],
                "count": 0,
                "details": {},
            }
        )
    return claimable, groups


def _limit_details(group: GroupKey, usage: LimitUsage) -> dict[str, Any]:
    limit = usage.limits[group]
    return {
        "namespace": limit.namespace,
        "goal": limit.goal,
        "max_running": limit.max_running,
        "running": usage.running[group],
        "max_per_key": limit.max_per_key,
    }


async def explain_claim_query(
    store: Store, query: ClaimQuery, now: float
) -> tuple[int, list[dict[str, Any]]]:
    """Samples the intents a claim could meet and explains them."""
    mine = await store.intent_search(
        IntentFilter(owner=query.owner, statuses=(protocol.STATUS_OPEN,)), SAMPLE
    )
    public = await store.intent_open_public(SAMPLE)
    seen = {intent.id: intent for intent in [*mine.intents, *public]}
    owners = {intent.owner for intent in seen.values()}
    pauses: set[PauseKey] = set()
    for owner in sorted(owners):
        pauses |= pause_keys(await store.pause_list(owner))
    usage = await store.limit_usage(None)  # public intents: any owner's limits
    return explain_claim(list(seen.values()), query, pauses, now, usage)
