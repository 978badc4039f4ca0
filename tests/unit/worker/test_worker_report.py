"""Reporting a verdict: one call per lease, and what a refusal means."""

from __future__ import annotations

from typing import Any

from intent_bus.sdk.exceptions import IntentBusError, IntentBusLeaseLostError
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.outcome import Outcome
from intent_bus.worker.report import report

INTENT = ClaimedIntent("i1", "g", {}, "tok", "default", 1, 100, 60.0)


class Recorder:
    """Records each verdict call; raises the scripted errors in order."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _answer(self, name: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((name, kwargs))
        if self.errors:
            raise self.errors.pop(0)
        return {}

    def claim(self, **kwargs: Any) -> Any:
        raise AssertionError("report never claims")

    def extend_claim(self, intent_id: str, seconds: float, claim_token: str) -> Any:
        raise AssertionError("report never extends")

    def fulfill(self, intent_id: str, **kwargs: Any) -> Any:
        return self._answer("fulfill", **kwargs)

    def fail(self, intent_id: str, error: str = "", **kwargs: Any) -> Any:
        return self._answer("fail", error=error, **kwargs)


def test_verdicts_travel_with_the_claim_token() -> None:
    client = Recorder()
    assert report(client, INTENT, Outcome.fulfill([1], "json"))
    assert report(client, INTENT, Outcome.fulfill())
    assert report(client, INTENT, Outcome.fail("no"))
    assert client.calls == [
        ("fulfill", {"result": [1], "result_type": "json", "claim_token": "tok"}),
        ("fulfill", {"claim_token": "tok"}),
        ("fail", {"error": "no", "claim_token": "tok"}),
    ]


def test_a_lost_lease_is_not_accepted_and_not_retried() -> None:
    client = Recorder(IntentBusLeaseLostError("gone", status_code=404))
    assert report(client, INTENT, Outcome.fulfill(1, "json")) is False
    assert [name for name, _ in client.calls] == ["fulfill"]


def test_a_refused_result_fails_the_intent_with_the_reason() -> None:
    client = Recorder(IntentBusError("too large", status_code=413))
    assert report(client, INTENT, Outcome.fulfill("x", "text")) is False
    name, kwargs = client.calls[1]
    assert name == "fail"
    assert kwargs["error"].startswith("could not report the result: too large")
