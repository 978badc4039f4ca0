"""One list of intent fields: protocol.py's, and every layer agrees with it.

Adding a field to the wire means adding it to the protocol's list and to each
layer; forgetting one layer fails here.
"""

from __future__ import annotations

import dataclasses

from intent_bus import protocol
from intent_bus.sdk.models import ClaimedIntent, IntentResult, IntentStatus


def _model_fields(model: type) -> set[str]:
    # `extra` holds what the SDK does not know; it is not a wire field.
    return {field.name for field in dataclasses.fields(model)} - {"extra"}


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
