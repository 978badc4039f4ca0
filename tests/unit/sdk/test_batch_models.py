"""The batch answers' models: the quick read of the usual publish outcome gives
what the full check gives, and anything else still gets the full check."""

from __future__ import annotations

from typing import Any

import pytest

from intent_bus.sdk.batch_models import PublishOutcome
from intent_bus.sdk.exceptions import IntentBusProtocolError


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "created", "id": "i-1"},
        {"outcome": "replayed", "id": "i-2"},
        {"outcome": "created", "id": "i-1", "later": 1},
        {"outcome": "error", "error": {"code": "conflict", "message": "m"}},
        {"outcome": "error", "id": "i-3"},
    ],
)
def test_publish_outcome_reads_every_field(data: dict[str, Any]) -> None:
    outcome = PublishOutcome.from_json(data)
    assert outcome.outcome == data["outcome"]
    assert outcome.id == data.get("id")
    assert outcome.ok is (data["outcome"] != "error")
    assert dict(outcome.extra) == ({"later": 1} if "later" in data else {})
    if "error" in data:
        assert outcome.error_code == "conflict" and outcome.error_message == "m"


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "created", "id": 7},
        {"outcome": 1, "id": "i"},
        {"outcome": "created", "other": "i"},
        ["created", "i"],
    ],
)
def test_publish_outcome_refuses_malformed_items(data: Any) -> None:
    with pytest.raises(IntentBusProtocolError):
        PublishOutcome.from_json(data)
