"""Models accept the contract's JSON, keep unknown fields aside, refuse drift."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from intent_bus.sdk.exceptions import IntentBusProtocolError
from intent_bus.sdk.models import (
    ClaimedIntent,
    ClaimResponse,
    IntentResult,
    IntentStatus,
)

STATUS: dict[str, Any] = {
    "id": "a" * 32,
    "status": "open",
    "goal": "g",
    "namespace": "default",
    "claim_attempts": 0,
    "max_attempts": 3,
    "priority": 100,
    "run_at": 10,
    "created_at": 9.5,
    "error": None,
    "visibility": "private",
    "target_worker": None,
    "required_capability": None,
    "lease_expires_at": None,
    "completed_at": None,
}

CLAIM: dict[str, Any] = {
    "id": "b" * 32,
    "goal": "encode",
    "payload": {"url": "x"},
    "claim_token": "tok",
    "namespace": "media",
    "claim_attempts": 1,
    "priority": 5,
    "claim_timeout": 60,
    "target_worker": None,
    "required_capability": "gpu",
}


def test_status_parses_and_converts_times_to_float() -> None:
    status = IntentStatus.from_json(STATUS)
    assert status.id == "a" * 32
    assert status.run_at == 10.0 and isinstance(status.run_at, float)
    assert status.extra == {}


def test_unknown_fields_go_to_extra_and_never_replace_known_ones() -> None:
    status = IntentStatus.from_json({**STATUS, "owner": "t", "shard": 3})
    assert dict(status.extra) == {"owner": "t", "shard": 3}
    with pytest.raises(TypeError):
        status.extra["x"] = 1  # type: ignore[index]


def test_models_are_frozen() -> None:
    status = IntentStatus.from_json(STATUS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.status = "dead"  # type: ignore[misc]
    assert not hasattr(status, "__dict__")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id", None, "'id' must be a string"),
        ("priority", "100", "'priority' must be an integer"),
        ("priority", True, "'priority' must be an integer"),
        ("run_at", "yesterday", "'run_at' must be a number or null"),
        ("error", 5, "'error' must be a string or null"),
    ],
)
def test_mistyped_field_is_named(field: str, value: Any, message: str) -> None:
    with pytest.raises(IntentBusProtocolError, match=message):
        IntentStatus.from_json({**STATUS, field: value})


def test_missing_required_field_is_named() -> None:
    data = dict(STATUS)
    del data["goal"]
    with pytest.raises(IntentBusProtocolError, match="'goal' is missing"):
        IntentStatus.from_json(data)


def test_non_object_is_refused() -> None:
    with pytest.raises(IntentBusProtocolError, match="expected a JSON object"):
        IntentStatus.from_json([STATUS])


def test_result_carries_result_and_type() -> None:
    result = IntentResult.from_json(
        {
            **STATUS,
            "status": "fulfilled",
            "result": [1],
            "result_type": "json",
            "completed_at": 12,
        }
    )
    assert result.result == [1]
    assert result.completed_at == 12.0


def test_claim_response_passes_attributes_through() -> None:
    job = ClaimResponse(ClaimedIntent.from_json(CLAIM), 200)
    assert job
    assert job.id == "b" * 32
    assert job.payload == {"url": "x"}
    assert job.claim_token == "tok"
    assert job.claim_timeout == 60.0


def test_empty_claim_response_is_falsy_and_explains_itself() -> None:
    nothing = ClaimResponse(None, 204, 2.0)
    assert not nothing
    assert nothing.retry_after == 2.0
    with pytest.raises(AttributeError, match="no intent was claimed"):
        _ = nothing.payload


def test_claimed_intent_requires_its_token() -> None:
    data = dict(CLAIM)
    del data["claim_token"]
    with pytest.raises(IntentBusProtocolError, match="'claim_token'"):
        ClaimedIntent.from_json(data)
