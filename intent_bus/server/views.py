"""Storage records -> response Structs: what each audience may see of an intent.

Stored JSON bytes are wrapped in `msgspec.Raw`, so payloads and results are
copied into the response without being decoded.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Raw

from intent_bus import protocol
from intent_bus.server import policy
from intent_bus.server.schemas import (
    CancelView,
    ClaimResponse,
    DeadIntentView,
    FailResponse,
    FulfillResponse,
    KeyView,
    ResultView,
    StatusView,
)
from intent_bus.server.schemas_control import (
    IntentDetail,
    IntentRow,
    PauseView,
)
from intent_bus.server.schemas_leases import ExtendResponse
from intent_bus.server.schemas_schedules import ScheduleView, TickView
from intent_bus.storage.base import (
    ApiKey,
    Intent,
    IntentProgress,
    NewIntent,
    Pause,
    Schedule,
    Tick,
)

_NULL = Raw(b"null")


def _status_fields(intent: Intent) -> dict[str, Any]:
    return {
        "id": intent.id,
        "status": intent.status,
        "goal": intent.goal,
        "namespace": intent.namespace,
        "claim_attempts": intent.claim_attempts,
        "max_attempts": intent.max_attempts,
        "priority": intent.priority,
        "run_at": intent.run_at,
        "created_at": intent.created_at,
        "error": intent.error,
        "visibility": intent.visibility,
        "target_worker": intent.target_worker,
        "required_capability": intent.required_capability,
        "lease_expires_at": intent.lease_expires_at,
        "completed_at": intent.completed_at,
    }


def _progress(saved: IntentProgress | None) -> float | str | None:
    """The stored progress (a JSON number or string the server validated)."""
    if saved is None or saved.progress is None:
        return None
    value: float | str = msgspec.json.decode(saved.progress)
    return value


def status_view(intent: Intent, saved: IntentProgress | None = None) -> StatusView:
    return StatusView(**_status_fields(intent), progress=_progress(saved))


def new_status_view(intent: NewIntent) -> StatusView:
    """The 201 body of a publish, known before the row is written (it is also
    the idempotency record's replay body)."""
    return StatusView(
        id=intent.id,
        status=protocol.STATUS_OPEN,
        goal=intent.goal,
        namespace=intent.namespace,
        claim_attempts=0,
        max_attempts=intent.max_attempts,
        priority=intent.priority,
        run_at=intent.run_at,
        created_at=intent.created_at,
        error=None,
        visibility=intent.visibility,
        target_worker=intent.target_worker,
        required_capability=intent.required_capability,
        lease_expires_at=None,
        completed_at=None,
    )


def result_view(intent: Intent, saved: IntentProgress | None = None) -> ResultView:
    result = None if intent.result is None else Raw(intent.result)
    # Always a string: the published 2.1.2 SDK refuses `"result_type": null`,
    # which a dead intent (never fulfilled) would otherwise carry.
    result_type = intent.result_type
    if result_type not in protocol.RESULT_TYPES:
        result_type = protocol.RESULT_TYPE_JSON
    return ResultView(
        **_status_fields(intent),
        progress=_progress(saved),
        result=result,
        result_type=result_type,  # type: ignore[arg-type]  # narrowed just above
    )


def cancel_view(intent: Intent) -> CancelView:
    return CancelView(
        **_status_fields(intent), cancel_requested=intent.cancel_requested
    )


def dead_view(intent: Intent) -> DeadIntentView:
    return DeadIntentView(**_status_fields(intent), owner=intent.owner)


def claim_view(
    intent: Intent, claim_timeout: int, checkpoint: bytes | None = None
) -> ClaimResponse:
    assert intent.claim_token is not None and intent.lease_expires_at is not None
    return ClaimResponse(
        id=intent.id,
        goal=intent.goal,
        payload=Raw(intent.payload) if intent.payload else _NULL,
        claim_token=intent.claim_token,
        namespace=intent.namespace,
        claim_attempts=intent.claim_attempts,
        priority=intent.priority,
        claim_timeout=claim_timeout,
        target_worker=intent.target_worker,
        required_capability=intent.required_capability,
        max_attempts=intent.max_attempts,
        lease_expires_at=intent.lease_expires_at,
        created_at=intent.created_at,
        checkpoint=None if checkpoint is None else Raw(checkpoint),
    )


def fulfill_view(intent: Intent, now: float) -> FulfillResponse:
    completed_at = intent.completed_at if intent.completed_at is not None else now
    cancelled = intent.status == protocol.STATUS_CANCELLED
    return FulfillResponse(
        id=intent.id,
        status=protocol.STATUS_CANCELLED if cancelled else protocol.STATUS_FULFILLED,
        completed_at=completed_at,
    )


def fail_view(intent: Intent) -> FailResponse:
    """`status` is open (retried at run_at), dead (attempts spent) or cancelled."""
    ended = intent.status in (protocol.STATUS_DEAD, protocol.STATUS_CANCELLED)
    return FailResponse(
        id=intent.id,
        status=intent.status if ended else protocol.STATUS_OPEN,  # type: ignore[arg-type]
        run_at=intent.run_at,
        claim_attempts=intent.claim_attempts,
        max_attempts=intent.max_attempts,
    )


def extend_view(intent: Intent, now: float, seconds: float) -> ExtendResponse:
    expires_at = intent.lease_expires_at or policy.lease_expiry(now, seconds)
    return ExtendResponse(
        id=intent.id,
        lease_expires_at=expires_at,
        claim_timeout=seconds,
        cancel_requested=intent.cancel_requested,
    )


def key_view(key: ApiKey) -> KeyView:
    """A key without its secret."""
    return KeyView(
        id=key.id,
        owner=key.owner,
        role=key.role,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


# -- control reads -------------------------------------------------------------


def intent_row(intent: Intent) -> IntentRow:
    return IntentRow(**_row_fields(intent))


def _row_fields(intent: Intent) -> dict[str, Any]:
    # `cancel_requested` is the write side's column; an intent without one
    # (a store from before it) was never asked to cancel.
    cancel_requested = bool(getattr(intent, "cancel_requested", False))
    return {
        **_status_fields(intent),
        "owner": intent.owner,
        "worker": intent.worker_id,
        "cancel_requested": cancel_requested,
    }


def intent_detail(intent: Intent, saved: IntentProgress | None) -> IntentDetail:
    """The intent in full, with its progress, when that was reported, the
    size of its saved checkpoint (not the checkpoint: the next claim gets it)
    and the concurrency key a limit counts it by."""
    checkpoint = None if saved is None else saved.checkpoint
    return IntentDetail(
        **_row_fields(intent),
        progress=_progress(saved),
        payload=Raw(intent.payload) if intent.payload else _NULL,
        result=None if intent.result is None else Raw(intent.result),
        result_type=intent.result_type,
        progress_at=None if saved is None else saved.updated_at,
        checkpoint_bytes=None if checkpoint is None else len(checkpoint),
        concurrency_key=intent.concurrency_key,
    )


def pause_view(pause: Pause) -> PauseView:
    return PauseView(
        namespace=pause.namespace,
        goal=pause.goal,
        owner=pause.owner,
        paused_at=pause.paused_at,
    )


def schedule_view(schedule: Schedule, next_fire_times: list[float]) -> ScheduleView:
    """A paused schedule shows no next fire time: it will not fire."""
    return ScheduleView(
        name=schedule.name,
        owner=schedule.owner,
        cron=schedule.cron,
        timezone=schedule.timezone,
        intent=Raw(schedule.intent),
        overlap=schedule.overlap,
        catch_up=schedule.catch_up,
        paused=schedule.paused,
        next_fire_at=None if schedule.paused else schedule.next_fire_at,
        next_fire_times=[] if schedule.paused else next_fire_times,
        last_scheduled_for=schedule.last_scheduled_for,
        last_intent_id=schedule.last_intent_id,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )


def tick_view(tick: Tick) -> TickView:
    return TickView(
        schedule=tick.name,
        owner=tick.owner,
        scheduled_for=tick.scheduled_for,
        intent_id=tick.intent_id,
        fired_at=tick.fired_at,
    )
