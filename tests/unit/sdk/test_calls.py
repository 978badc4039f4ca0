"""Every argument check and request shape, built without a socket."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from intent_bus.sdk import calls
from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusLeaseLostError,
    IntentBusProtocolError,
    IntentBusRateLimitError,
)
from intent_bus.sdk.models import ClaimedIntent, ClaimResponse
from intent_bus.sdk.retry import Safety


def body(call: calls.Call[Any]) -> Any:
    return json.loads(call.body)


def test_publish_body_is_compact_sorted_json_with_defaults() -> None:
    call = calls.publish("process_image", {"url": "s3://x", "a": 1})
    assert call.method == "POST" and call.path == "/intent"
    assert call.body.startswith(b'{"backoff_base":5.0,"delay":0.0,"goal":')
    assert b" " not in call.body
    assert body(call) == {
        "goal": "process_image",
        "payload": {"a": 1, "url": "s3://x"},
        "namespace": "default",
        "visibility": "private",
        "priority": 100,
        "delay": 0.0,
        "max_attempts": 3,
        "backoff_base": 5.0,
    }
    assert call.retry is Safety.ALWAYS


def test_publish_generates_an_idempotency_key_per_call() -> None:
    first = dict(calls.publish("g", 1).headers)["Idempotency-Key"]
    second = dict(calls.publish("g", 1).headers)["Idempotency-Key"]
    assert len(first) == 32 and first != second
    given = calls.publish("g", 1, idempotency_key="mine")
    assert dict(given.headers) == {"Idempotency-Key": "mine"}


def test_publish_sends_routing_fields_only_when_given() -> None:
    data = body(
        calls.publish(
            "train_model",
            {"epochs": 50},
            namespace="ml",
            priority=999,
            delay=3600.0,
            required_capability="a100_gpu",
            target_worker="node-alpha-01",
            max_attempts=5,
        )
    )
    assert data["target_worker"] == "node-alpha-01"
    assert data["required_capability"] == "a100_gpu"
    assert "target_worker" not in body(calls.publish("g", 1))


def test_public_flag_sets_visibility() -> None:
    assert body(calls.publish("g", 1, public=True))["visibility"] == "public"
    assert body(calls.publish("g", 1, public=False))["visibility"] == "private"
    with pytest.raises(IntentBusError, match="contradicts"):
        calls.publish("g", 1, visibility="public", public=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"goal": ""}, "goal must not be empty"),
        ({"goal": 5}, "goal must be a string"),
        ({"goal": "g" * 129}, "goal must be at most 128"),
        ({"namespace": ""}, "namespace must not be empty"),
        ({"visibility": "secret"}, "visibility must be one of"),
        ({"priority": 1001}, "priority must be between 0 and 1000"),
        ({"priority": -1}, "priority must be between 0 and 1000"),
        ({"priority": 1.5}, "priority must be an integer"),
        ({"priority": True}, "priority must be an integer"),
        ({"delay": -1}, "delay must be >= 0"),
        ({"delay": float("inf")}, "delay must be finite"),
        ({"delay": "1"}, "delay must be a number"),
        ({"max_attempts": 0}, "max_attempts must be between 1"),
        ({"backoff_base": 0}, "backoff_base must be > 0"),
        ({"target_worker": "w" * 65}, "target_worker must be at most 64"),
        ({"required_capability": ""}, "required_capability must not be empty"),
        ({"idempotency_key": "bad\nkey"}, "idempotency_key must be printable ASCII"),
        ({"public": "yes"}, "public must be True or False"),
        ({"payload": {"x": float("nan")}}, "NaN or Infinity"),
        ({"payload": [float("-inf")]}, "NaN or Infinity"),
        ({"payload": {1, 2}}, "cannot be encoded as JSON"),
    ],
)
def test_publish_rejects_invalid_arguments(
    kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"goal": "g", "payload": {}, **kwargs}
    with pytest.raises(IntentBusError, match=message):
        calls.publish(args.pop("goal"), args.pop("payload"), **args)


def test_claim_builds_query_and_worker_headers() -> None:
    call = calls.claim(
        goal="encode",
        namespace="media",
        worker_id="node-01",
        capabilities=["gpu", " ffmpeg "],
        publisher="alice",
        wait=2.5,
    )
    assert call.retry is Safety.UNPROCESSED
    assert dict(call.params) == {
        "namespace": "media",
        "goal": "encode",
        "publisher": "alice",
        "wait": "2.5",
    }
    assert dict(call.headers) == {
        "X-Worker-ID": "node-01",
        "X-Worker-Capabilities": "gpu,ffmpeg",
    }
    assert call.extra_read_timeout == 2.5
    assert call.body == b""


def test_claim_accepts_comma_separated_capabilities() -> None:
    call = calls.claim(capabilities="gpu, ffmpeg")
    assert dict(call.headers)["X-Worker-Capabilities"] == "gpu,ffmpeg"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"namespace": ""}, "namespace must not be empty"),
        ({"goal": ""}, "goal must not be empty"),
        ({"wait": 0}, "wait must be > 0"),
        ({"wait": 31}, "wait must be at most 30"),
        ({"worker_id": "nødé"}, "worker_id must be printable ASCII"),
        ({"capabilities": [1]}, "capability must be a string"),
        ({"capabilities": 5}, "capabilities must be a list"),
        ({"publisher": 3}, "publisher must be a string"),
    ],
)
def test_claim_rejects_invalid_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(IntentBusError, match=message):
        calls.claim(**kwargs)


def claimed(token: str = "tok") -> ClaimedIntent:
    return ClaimedIntent("i1", "g", {}, token, "default", 1, 100, 60.0)


def test_lease_of_prefers_explicit_then_remembered_then_carried_token() -> None:
    job = ClaimResponse(claimed("carried"), 200)
    assert calls.lease_of("i1", "explicit", {"i1": "mem"}) == ("i1", "explicit")
    assert calls.lease_of("i1", None, {"i1": "mem"}) == ("i1", "mem")
    assert calls.lease_of(job, None, {}) == ("i1", "carried")
    assert calls.lease_of(job.intent, None, {}) == ("i1", "carried")
    with pytest.raises(IntentBusError, match="pass claim_token"):
        calls.lease_of("i1", None, {})
    with pytest.raises(IntentBusError, match="holds no intent"):
        calls.lease_of(ClaimResponse(None, 204), None, {})


def test_fulfill_fail_and_extend_bodies() -> None:
    call = calls.fulfill("i1", "tok", {"status": "done"}, "json")
    assert call.path == "/fulfill/i1"
    assert body(call) == {
        "claim_token": "tok",
        "result": {"status": "done"},
        "result_type": "json",
    }
    assert "result" not in body(calls.fulfill("i1", "tok", None, "json"))
    assert body(calls.fail("i1", "tok", "x" * 5000))["error"] == "x" * 2000
    assert body(calls.extend_claim("i1", "tok", 300)) == {
        "claim_token": "tok",
        "seconds": 300,
    }


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: calls.fulfill("i", "t", 1, "xml"), "result_type must be one of"),
        (lambda: calls.fulfill("i", "t", {"a": 1}, "text"), "must be a string"),
        (lambda: calls.fulfill("i", "t", float("nan"), "json"), "NaN or Infinity"),
        (lambda: calls.fail("i", "t", 5), "error must be a string"),
        (lambda: calls.extend_claim("i", "t", 0), "seconds must be > 0"),
        (lambda: calls.get_status(""), "intent_id must not be empty"),
        (lambda: calls.get_result(None), "intent_id must be a string"),
        (lambda: calls.kv_set("", 1, 10), "key must not be empty"),
        (lambda: calls.kv_set("k" * 257, 1, 10), "key must be at most 256"),
        (lambda: calls.kv_set("k", 1, 0), "ttl must be >= 1"),
        (lambda: calls.kv_set("k", 1, 1.5), "ttl must be an integer"),
        (lambda: calls.kv_set("k", {"x": float("inf")}, 10), "NaN or Infinity"),
        (lambda: calls.kv_get(3), "key must be a string"),
    ],
)
def test_other_calls_reject_invalid_arguments(build: Any, message: str) -> None:
    with pytest.raises(IntentBusError, match=message):
        build()


def test_path_segments_are_percent_encoded() -> None:
    assert calls.kv_get("a/b c").path == "/get/a%2Fb%20c"
    assert calls.get_status("x?y").path == "/status/x%3Fy"


def respond(status: int, data: Any = None, **headers: str) -> httpx.Response:
    if data is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=data, headers=headers)


def envelope(code: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": f"{code} happened"}}


@pytest.mark.parametrize(
    ("status", "code", "lease", "kind"),
    [
        (401, "unauthorized", False, IntentBusAuthError),
        (403, "invalid_signature", False, IntentBusAuthError),
        (403, "forbidden", False, IntentBusAuthError),
        (404, "lease_lost", True, IntentBusLeaseLostError),
        (404, "not_found", False, IntentBusError),
        (400, "invalid_request", False, IntentBusError),
        (409, "conflict", False, IntentBusError),
        (500, "internal_error", False, IntentBusError),
    ],
)
def test_error_envelopes_map_to_exceptions(
    status: int, code: str, lease: bool, kind: type[IntentBusError]
) -> None:
    error = calls.error_from(respond(status, envelope(code)), lease=lease)
    assert type(error) is kind
    assert (error.code, error.message, error.status_code) == (
        code,
        f"{code} happened",
        status,
    )


def test_rate_limit_error_carries_retry_after() -> None:
    error = calls.error_from(
        respond(429, envelope("rate_limited"), **{"Retry-After": "7"})
    )
    assert isinstance(error, IntentBusRateLimitError)
    assert error.retry_after == 7.0


def test_error_without_envelope_keeps_the_text() -> None:
    error = calls.error_from(httpx.Response(502, text="Bad Gateway from proxy"))
    assert error.code is None and error.message == "Bad Gateway from proxy"


def test_claim_parses_no_work_with_retry_after() -> None:
    parse = calls.claim().parse
    nothing = parse(respond(204, **{"Retry-After": "3"}), False)
    assert not nothing and nothing.status_code == 204 and nothing.retry_after == 3.0


def test_non_json_success_is_a_protocol_error() -> None:
    parse = calls.get_status("i").parse
    with pytest.raises(IntentBusProtocolError, match="non-JSON"):
        parse(httpx.Response(200, text="<html>"), False)
    with pytest.raises(IntentBusProtocolError, match="unexpected HTTP 201"):
        parse(respond(201, {}), False)


def test_get_result_is_none_while_not_finished() -> None:
    assert calls.get_result("i").parse(respond(202, {}), False) is None


def test_kv_get_gives_default_when_missing() -> None:
    assert (
        calls.kv_get("k", default=5).parse(respond(404, envelope("not_found")), False)
        == 5
    )
    assert calls.kv_get("k").parse(respond(200, {"value": "[1]"}), False) == [1]
    with pytest.raises(IntentBusProtocolError, match="'value' is missing"):
        calls.kv_get("k").parse(respond(200, {}), False)


def test_lease_404_is_lease_lost_even_after_a_lost_answer() -> None:
    """The server answers a retried completion it stored with 200 (issue 14,
    item 2), so a 404 after a retry is no longer taken for success."""
    for call in (
        calls.fulfill("i1", "tok", None, "json"),
        calls.fail("i1", "tok", "boom"),
    ):
        for uncertain in (True, False):
            with pytest.raises(IntentBusLeaseLostError):
                call.parse(respond(404, envelope("lease_lost")), uncertain)
    done = calls.fulfill("i1", "tok", None, "json").parse
    assert done(respond(200, {"id": "i1", "status": "fulfilled"}), True) == {
        "id": "i1",
        "status": "fulfilled",
    }
    extend = calls.extend_claim("i1", "tok", 5).parse
    with pytest.raises(IntentBusLeaseLostError):
        extend(respond(404, envelope("lease_lost")), True)


def test_version_mismatch_only_for_another_major() -> None:
    assert calls.version_mismatch("7.61") is None
    assert calls.version_mismatch("7.99") is None
    assert calls.version_mismatch(None) is None
    assert "8.0" in (calls.version_mismatch("8.0") or "")


def test_generated_idempotency_keys_are_uuid4_hex() -> None:
    keys = {calls.new_idempotency_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        parsed = uuid.UUID(key)
        assert parsed.hex == key
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
