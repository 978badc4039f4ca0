"""The control API (search, timeline, explain, workers, cancel, pause, bulk
actions, stats) as pure calls.

The same contract as ``calls``: each builder checks its arguments against the
protocol's limits, describes the request, says how to read the answer and
whether it may be repeated; both clients only send. A tenant key sees only its
own tenant's intents, workers and pauses (another tenant's id is 404); an
admin key sees all of them and may narrow by ``owner`` (a tenant passing
``owner`` gets 400).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpx

from intent_bus import protocol
from intent_bus.sdk import args, calls
from intent_bus.sdk.call import Call, Parse
from intent_bus.sdk.control_models import (
    BulkResult,
    ClaimExplanation,
    Explanation,
    IntentDetail,
    IntentEvent,
    IntentPage,
    IntentRow,
    QueueOverview,
    QueuePause,
    WorkerInfo,
)
from intent_bus.sdk.exceptions import IntentBusError, IntentBusProtocolError
from intent_bus.sdk.replies import expect, expect_object, list_field, read_json
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = [
    "SEARCH_STATUSES",
    "cancel",
    "cancel_many",
    "explain",
    "explain_claim",
    "get_intent",
    "intent_events",
    "list_intents",
    "list_pauses",
    "list_workers",
    "pause",
    "requeue_intent",
    "requeue_many",
    "resume",
    "stats",
]

T = TypeVar("T")

SEARCH_STATUSES = protocol.STATUSES
"""What the search's `status` filter accepts."""

Params = list[tuple[str, str]]


def _parser(status: int, read: Callable[[Any], T]) -> Parse[T]:
    def parse(response: httpx.Response, uncertain: bool) -> T:
        expect(response, status)
        return read(read_json(response))

    return parse


def _owner(params: Params, owner: Any) -> Params:
    if owner is not None:
        params.append(("owner", args.text("owner", owner, protocol.OWNER_MAX_CHARS)))
    return params


def _intent_path(prefix: str, intent_id: Any, suffix: str = "") -> str:
    return f"{prefix}/{args.segment(args.intent_id(intent_id))}{suffix}"


# ---------------------------------------------------------------- reads


def _statuses(value: Any) -> list[str]:
    given = [value] if isinstance(value, str) else value
    try:
        names = list(given)
    except TypeError:
        raise IntentBusError("status must be a status name or a list of them") from None
    for name in names:
        if name not in SEARCH_STATUSES:
            raise IntentBusError(
                f"status must be one of {SEARCH_STATUSES}, got {name!r}"
            )
    return names


def list_intents(
    *,
    status: str | Iterable[str] | None = None,
    goal: Any = None,
    namespace: Any = None,
    worker: Any = None,
    error: Any = None,
    owner: Any = None,
    intent_id: Any = None,
    limit: Any = protocol.INTENT_LIST_DEFAULT,
    cursor: Any = None,
) -> Call[IntentPage]:
    """GET /intents: one page of the search, newest first."""
    params: Params = [
        ("limit", str(args.integer("limit", limit, 1, protocol.INTENT_LIST_MAX)))
    ]
    if status is not None:
        params.extend(("status", name) for name in _statuses(status))
    texts = (
        ("goal", goal, protocol.GOAL_MAX_CHARS),
        ("namespace", namespace, protocol.NAMESPACE_MAX_CHARS),
        ("worker", worker, protocol.WORKER_ID_MAX_CHARS),
        ("error", error, protocol.ERROR_MAX_CHARS),
        ("id", intent_id, protocol.INTENT_ID_MAX_CHARS),
    )
    for name, value, most in texts:
        if value is not None:
            params.append((name, args.text(name, value, most)))
    _owner(params, owner)
    if cursor is not None:
        # Opaque: the server says when it is bad.
        params.append(("cursor", args.text("cursor", cursor, None)))
    return Call(
        "GET", "/intents", _parser(200, IntentPage.from_json), params=tuple(params)
    )


def get_intent(intent_id: Any) -> Call[IntentDetail]:
    """GET /intents/<id>: the row with payload and result."""
    return Call(
        "GET", _intent_path("/intents", intent_id), _parser(200, IntentDetail.from_json)
    )


def _parse_events(response: httpx.Response, uncertain: bool) -> list[IntentEvent]:
    expect(response, 200)
    return [
        IntentEvent.from_json(e) for e in list_field(response, "events", "timeline")
    ]


def intent_events(intent_id: Any) -> Call[list[IntentEvent]]:
    """GET /intents/<id>/events: the timeline, oldest first."""
    return Call("GET", _intent_path("/intents", intent_id, "/events"), _parse_events)


def explain(intent_id: Any) -> Call[Explanation]:
    """GET /explain/<id>: whether it is claimable now, and why not."""
    return Call(
        "GET", _intent_path("/explain", intent_id), _parser(200, Explanation.from_json)
    )


def explain_claim(
    *,
    goal: Any = None,
    namespace: Any = protocol.DEFAULT_NAMESPACE,
    worker_id: Any = None,
    capabilities: Any = None,
    publisher: Any = None,
) -> Call[ClaimExplanation]:
    """GET /explain/claim: what a claim with these filters and worker headers
    would see, without claiming. Built from the claim's own builder, so the
    two cannot check or send different things."""
    like = calls.claim(
        goal=goal,
        namespace=namespace,
        worker_id=worker_id,
        capabilities=capabilities,
        publisher=publisher,
    )
    return Call(
        "GET",
        "/explain/claim",
        _parser(200, ClaimExplanation.from_json),
        params=like.params,
        headers=like.headers,
    )


def _parse_workers(response: httpx.Response, uncertain: bool) -> list[WorkerInfo]:
    expect(response, 200)
    return [
        WorkerInfo.from_json(w) for w in list_field(response, "workers", "worker list")
    ]


def list_workers(owner: Any = None) -> Call[list[WorkerInfo]]:
    """GET /workers: every worker the server has seen (kept for a day)."""
    return Call("GET", "/workers", _parse_workers, params=tuple(_owner([], owner)))


def stats(owner: Any = None) -> Call[QueueOverview]:
    """GET /stats: the figures per (tenant, namespace, goal)."""
    return Call(
        "GET",
        "/stats",
        _parser(200, QueueOverview.from_json),
        params=tuple(_owner([], owner)),
    )


# ---------------------------------------------------------------- one intent


def _steered(verb: str) -> Parse[IntentRow]:
    def parse(response: httpx.Response, uncertain: bool) -> IntentRow:
        if response.status_code == 409 and uncertain:
            raise IntentBusError(
                f"the intent cannot be {verb} in its state; an earlier attempt "
                f"whose answer was lost may have {verb} it (check get_status)",
                code=protocol.ErrorCode.CONFLICT,
                status_code=409,
            )
        expect(response, 200)
        return IntentRow.from_json(read_json(response))

    return parse


def cancel(intent_id: Any) -> Call[IntentRow]:
    """POST /cancel/<id>. Repeated like a read: a repeat finds the intent
    cancelled (409) or its cancel already requested (unchanged), so a retry
    after a lost answer changes nothing more."""
    return Call("POST", _intent_path("/cancel", intent_id), _steered("cancelled"))


def requeue_intent(intent_id: Any) -> Call[IntentRow]:
    """POST /requeue/<id>: a dead or cancelled intent reopened with fresh
    attempts. Repeated like ``cancel``: a repeat finds it open (409)."""
    return Call("POST", _intent_path("/requeue", intent_id), _steered("requeued"))


# ---------------------------------------------------------------- pauses


def _pause_body(namespace: Any, goal: Any, owner: Any) -> bytes:
    body: dict[str, Any] = {
        "namespace": args.text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS),
        "goal": None
        if goal is None
        else args.text("goal", goal, protocol.GOAL_MAX_CHARS),
    }
    if owner is not None:
        body["owner"] = args.text("owner", owner, protocol.OWNER_MAX_CHARS)
    return dumps_bytes(body)


def pause(namespace: Any, goal: Any = None, owner: Any = None) -> Call[QueuePause]:
    """POST /pause; idempotent, so always safe to repeat."""
    return Call(
        "POST",
        "/pause",
        _parser(200, QueuePause.from_json),
        body=_pause_body(namespace, goal, owner),
    )


def _parse_resumed(response: httpx.Response, uncertain: bool) -> bool:
    expect(response, 200)
    resumed = expect_object(response, "resume reply").get("resumed")
    if not isinstance(resumed, bool):
        raise IntentBusProtocolError(
            "server sent an invalid resume reply: field 'resumed' must be a boolean"
        )
    # A repeat after a lost answer finds nothing left to resume; the first
    # attempt then did it.
    return resumed or uncertain


def resume(namespace: Any, goal: Any = None, owner: Any = None) -> Call[bool]:
    """POST /resume: True when a pause was lifted, False when none was in force."""
    return Call(
        "POST", "/resume", _parse_resumed, body=_pause_body(namespace, goal, owner)
    )


def _parse_pauses(response: httpx.Response, uncertain: bool) -> list[QueuePause]:
    expect(response, 200)
    return [
        QueuePause.from_json(p) for p in list_field(response, "pauses", "pause list")
    ]


def list_pauses(owner: Any = None) -> Call[list[QueuePause]]:
    """GET /pauses: the pauses in force."""
    return Call("GET", "/pauses", _parse_pauses, params=tuple(_owner([], owner)))


# ---------------------------------------------------------------- bulk


def _bulk(
    path: str,
    goal: Any,
    namespace: Any,
    owner: Any,
    dry_run: Any,
    error_contains: Any = None,
) -> Call[BulkResult]:
    if not isinstance(dry_run, bool):
        raise IntentBusError("dry_run must be True or False")
    body: dict[str, Any] = {"dry_run": dry_run}
    if goal is not None:
        body["goal"] = args.text("goal", goal, protocol.GOAL_MAX_CHARS)
    if namespace is not None:
        body["namespace"] = args.text(
            "namespace", namespace, protocol.NAMESPACE_MAX_CHARS
        )
    if error_contains is not None:
        body["error_contains"] = args.text(
            "error_contains", error_contains, protocol.ERROR_MAX_CHARS
        )
    if owner is not None:
        body["owner"] = args.text("owner", owner, protocol.OWNER_MAX_CHARS)
    return Call(
        "POST", path, _parser(200, BulkResult.from_json), body=dumps_bytes(body)
    )


def requeue_many(
    goal: Any = None,
    namespace: Any = None,
    error_contains: Any = None,
    owner: Any = None,
    dry_run: Any = False,
) -> Call[BulkResult]:
    """POST /intents/requeue: reopen the dead intents matching the filter.
    Safe to repeat in effect (a requeued intent no longer matches), though a
    repeat's counts describe only what that attempt found."""
    return _bulk("/intents/requeue", goal, namespace, owner, dry_run, error_contains)


def cancel_many(
    goal: Any = None, namespace: Any = None, owner: Any = None, dry_run: Any = False
) -> Call[BulkResult]:
    """POST /intents/cancel: cancel the open intents matching the filter;
    repeated like ``requeue_many``."""
    return _bulk("/intents/cancel", goal, namespace, owner, dry_run)
