"""The client plans, driven by hand: lease bookkeeping and limits, no sockets."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from intent_bus import protocol
from intent_bus.sdk import admin_calls, calls
from intent_bus.sdk.call import Call
from intent_bus.sdk.exceptions import IntentBusError, IntentBusLeaseLostError
from intent_bus.sdk.models import ClaimedIntent, ClaimResponse
from intent_bus.sdk.operations import Operations, Pause, Plan


def claimed(intent_id: str = "i1", token: str = "tok") -> ClaimResponse:
    return ClaimResponse(
        ClaimedIntent(intent_id, "g", {}, token, "default", 1, 100, 60.0), 200
    )


def run(plan: Plan[Any], *answers: Any) -> tuple[list[Any], Any]:
    """Feeds `answers` to the plan's steps (an exception is thrown in);
    returns the steps it took and its result."""
    steps: list[Any] = []
    try:
        step = next(plan)
        for answer in answers:
            steps.append(step)
            if isinstance(answer, BaseException):
                step = plan.throw(answer)
            else:
                step = plan.send(answer)
    except StopIteration as done:
        return steps, done.value
    raise AssertionError(f"plan still running after {steps}, at {step}")


def test_claim_remembers_the_token_and_fulfill_uses_then_forgets_it() -> None:
    ops = Operations()
    steps, job = run(ops.claim(goal="g"), claimed())
    assert steps[0].path == "/claim" and job.id == "i1"
    assert ops.leases.tokens == {"i1": "tok"}
    steps, answer = run(ops.fulfill("i1", result=1), {"status": "fulfilled"})
    assert b'"claim_token":"tok"' in steps[0].body
    assert answer == {"status": "fulfilled"}
    assert ops.leases.tokens == {}


def test_a_lost_lease_is_forgotten_but_another_error_keeps_it() -> None:
    ops = Operations()
    run(ops.claim(), claimed("a"))
    run(ops.claim(), claimed("b"))
    with pytest.raises(IntentBusError, match="boom"):
        run(ops.fail("a", "x"), IntentBusError("boom", status_code=500))
    assert "a" in ops.leases.tokens
    with pytest.raises(IntentBusLeaseLostError):
        run(ops.extend_claim("b"), IntentBusLeaseLostError("gone", status_code=404))
    assert ops.leases.tokens == {"a": "tok"}


def test_wait_for_result_polls_with_pauses() -> None:
    plan = Operations().wait_for_result("i1", timeout=60, poll_interval=0.25)
    steps, result = run(plan, None, None, "done")
    assert [type(step) for step in steps] == [Call, Pause, Call]
    assert steps[1] == Pause(0.25)
    assert result == "done"


def test_claim_filters_and_tokens_keep_to_the_protocol_limits() -> None:
    longest = "p" * protocol.OWNER_MAX_CHARS
    assert ("publisher", longest) in calls.claim(publisher=longest).params
    with pytest.raises(IntentBusError, match="publisher must be at most 128"):
        calls.claim(publisher=longest + "p")
    token = "t" * protocol.CLAIM_TOKEN_MAX_CHARS
    assert calls.lease_of("i1", token, {}) == ("i1", token)
    with pytest.raises(IntentBusError, match="claim_token must be at most 256"):
        calls.lease_of("i1", token + "t", {})
    with pytest.raises(IntentBusError, match="intent_id must be at most 256"):
        calls.get_status("i" * (protocol.INTENT_ID_MAX_CHARS + 1))


def test_admin_owner_and_namespace_keep_to_the_protocol_limits() -> None:
    with pytest.raises(IntentBusError, match="owner must be at most 128"):
        admin_calls.create_key("o" * (protocol.OWNER_MAX_CHARS + 1))
    with pytest.raises(IntentBusError, match="namespace must be at most 128"):
        admin_calls.list_dead(namespace="n" * (protocol.NAMESPACE_MAX_CHARS + 1))
    assert admin_calls.create_key("o" * protocol.OWNER_MAX_CHARS).method == "POST"


def test_only_get_result_may_answer_none_and_its_docstring_says_when() -> None:
    from intent_bus import IntentClient

    returned = inspect.signature(IntentClient.get_result).return_annotation
    waited = inspect.signature(IntentClient.wait_for_result).return_annotation
    assert returned == "IntentResult | None" and waited == "IntentResult"
    assert "None while it is still open or claimed" in (
        IntentClient.get_result.__doc__ or ""
    )
    assert "wait_for_result" in (IntentClient.get_result.__doc__ or "")


def test_wait_for_result_returns_a_finished_result_never_none() -> None:
    plan = Operations().wait_for_result("i1", timeout=60, poll_interval=0.01)
    steps, result = run(plan, None, None, None, None, "finished")
    assert result == "finished"
    assert [type(s) for s in steps] == [Call, Pause, Call, Pause, Call]
