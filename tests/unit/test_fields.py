"""One list of intent fields: protocol.py's, and every layer agrees with it.

Adding a field to the wire means adding it to the protocol's list and to each
layer (SDK models, server Structs, storage records); forgetting one fails here.
"""

from __future__ import annotations

import dataclasses

import msgspec

from intent_bus import protocol
from intent_bus.sdk.control_models import IntentDetail, IntentRow
from intent_bus.sdk.limits import ConcurrencyLimit
from intent_bus.sdk.models import ClaimedIntent, IntentResult, IntentStatus
from intent_bus.server import (
    schemas,
    schemas_control,
    schemas_limits,
    schemas_schedules,
)
from intent_bus.storage import limits as stored_limits
from intent_bus.storage.base import Intent, NewIntent

STORED_ONLY = frozenset(
    {
        "owner",
        "payload",
        "backoff_base",
        "claim_token",
        "worker_id",
        "updated_at",
        "lease_owner",
        "cancel_requested",
        "done_kind",
        "concurrency_key",
    }
)
"""Columns the store keeps that the status/result views do not show (the
control API's detail shows `owner`, `payload` and `concurrency_key`)."""
KEPT_BESIDE = frozenset({"progress"})
"""Fields the views show that the store keeps beside the intent, not in it
(`IntentProgress`, read with `intent_progress_get`)."""


def _model_fields(model: type) -> set[str]:
    # `extra` holds what the SDK does not know; it is not a wire field.
    return {field.name for field in dataclasses.fields(model)} - {"extra"}


def _wire_fields(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    return struct.__struct_encode_fields__


def test_sdk_models_hold_exactly_the_protocol_fields() -> None:
    assert _model_fields(IntentStatus) == set(protocol.STATUS_FIELDS)
    assert _model_fields(IntentResult) == set(protocol.RESULT_FIELDS)
    assert _model_fields(ClaimedIntent) == set(protocol.CLAIM_FIELDS)


def test_sdk_models_read_every_protocol_field_from_the_wire() -> None:
    status = {name: None for name in protocol.STATUS_FIELDS} | {
        "id": "i1",
        "status": protocol.STATUS_OPEN,
        "goal": "g",
        "namespace": protocol.DEFAULT_NAMESPACE,
        "claim_attempts": 0,
        "max_attempts": 3,
        "priority": 100,
    }
    parsed = IntentResult.from_json(
        status | {"result": [1], "result_type": protocol.RESULT_TYPE_JSON}
    )
    assert parsed.extra == {} and parsed.result == [1]
    assert IntentStatus.from_json(status).extra == {}
    claim = {name: 1 for name in protocol.CLAIM_FIELDS} | {
        "id": "i1",
        "goal": "g",
        "claim_token": "t",
        "namespace": "n",
        "target_worker": None,
        "required_capability": None,
    }
    assert ClaimedIntent.from_json(claim).extra == {}


def test_server_structs_have_the_protocol_fields() -> None:
    assert _wire_fields(schemas.PublishRequest) == protocol.PUBLISH_FIELDS
    assert _wire_fields(schemas.StatusView) == protocol.STATUS_FIELDS
    assert _wire_fields(schemas.ResultView) == protocol.RESULT_FIELDS
    assert _wire_fields(schemas.ClaimResponse) == protocol.CLAIM_FIELDS
    dead = _wire_fields(schemas.DeadIntentView)
    assert dead == (*protocol.STATUS_FIELDS, "owner")


def test_storage_records_hold_the_protocol_fields() -> None:
    stored = _model_fields(Intent)
    assert stored == set(protocol.RESULT_FIELDS) - KEPT_BESIDE | STORED_ONLY
    # A publish's `delay` is stored as `run_at`; every other field is kept as sent.
    published = set(protocol.PUBLISH_FIELDS) - {"delay"} | {"run_at"}
    assert published <= _model_fields(NewIntent) <= stored


def test_schedule_fields_agree_in_every_layer() -> None:
    from intent_bus.sdk.models import Schedule, ScheduleTick

    assert _wire_fields(schemas_schedules.ScheduleView) == protocol.SCHEDULE_FIELDS
    assert _wire_fields(schemas_schedules.TickView) == protocol.TICK_FIELDS
    assert _model_fields(Schedule) == set(protocol.SCHEDULE_FIELDS)
    assert _model_fields(ScheduleTick) == set(protocol.TICK_FIELDS)


def test_control_views_agree_in_every_layer() -> None:
    assert _wire_fields(schemas_control.IntentRow) == protocol.INTENT_ROW_FIELDS
    assert _wire_fields(schemas_control.IntentDetail) == protocol.INTENT_DETAIL_FIELDS
    assert _model_fields(IntentRow) == set(protocol.INTENT_ROW_FIELDS)
    assert _model_fields(IntentDetail) == set(protocol.INTENT_DETAIL_FIELDS)
    # What the detail shows of the intent's own columns, the store keeps.
    own = set(protocol.INTENT_DETAIL_FIELDS) - set(protocol.INTENT_ROW_FIELDS)
    kept = own - {"progress_at", "checkpoint_bytes"}  # `IntentProgress`, beside
    assert kept <= _model_fields(Intent)


def test_limit_fields_agree_in_every_layer() -> None:
    assert _wire_fields(schemas_limits.LimitView) == protocol.LIMIT_FIELDS
    assert _model_fields(ConcurrencyLimit) == set(protocol.LIMIT_FIELDS)
    assert _model_fields(stored_limits.ConcurrencyLimit) == set(protocol.LIMIT_FIELDS)
