"""POST /intent over HTTP: defaults, validation, idempotency, body limits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_publish_returns_201_with_the_full_status_view(tenant: Api) -> None:
    before = time.time()
    response = tenant.post("/intent", {"goal": "resize", "payload": {"w": 10}})
    assert response.status_code == 201
    assert response.headers["X-Intent-Version"] == "7.61"
    view = response.json()
    assert len(view["id"]) == 32 and int(view["id"], 16) >= 0
    assert view["status"] == "open"
    assert view["goal"] == "resize"
    assert view["namespace"] == "default"
    assert view["visibility"] == "private"
    assert view["priority"] == 100
    assert view["max_attempts"] == 3
    assert view["claim_attempts"] == 0
    assert view["error"] is None and view["completed_at"] is None
    assert view["target_worker"] is None and view["required_capability"] is None
    assert before - 1 <= view["created_at"] <= time.time() + 1
    assert view["run_at"] == pytest.approx(view["created_at"])


def test_publish_with_delay_sets_run_at_in_the_future(tenant: Api) -> None:
    view = tenant.publish(delay=30)
    assert view["run_at"] == pytest.approx(view["created_at"] + 30)


def test_unknown_fields_are_ignored(tenant: Api) -> None:
    view = tenant.publish("g", surprise={"x": 1}, another=[1])
    assert "surprise" not in view


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"goal": ""}, "goal"),
        ({"goal": "x" * 129}, "goal"),
        ({"goal": 5}, "goal"),
        ({"namespace": ""}, "namespace"),
        ({"visibility": "secret"}, "visibility"),
        ({"priority": 1001}, "priority"),
        ({"priority": -1}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"priority": True}, "priority"),
        ({"delay": -1}, "delay"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"backoff_base": 0}, "backoff_base"),
        ({"target_worker": "w" * 65}, "target_worker"),
        ({"required_capability": "c" * 65}, "required_capability"),
    ],
)
def test_invalid_field_is_400_naming_the_field(
    tenant: Api, fields: dict[str, object], field: str
) -> None:
    response = tenant.post("/intent", {"goal": "ok", "payload": 1, **fields})
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert field in response.json()["error"]["message"]


def test_missing_goal_and_empty_body_name_goal(tenant: Api) -> None:
    response = tenant.post("/intent", content=b"")
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert "goal" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"goal": "g", "payload": NaN}',
        b'{"goal": "g", "payload": Infinity}',
        b'{"goal": "g", "payload": -Infinity}',
        b'{"goal": "g", "payload": 1e999}',
        b'{"goal": "g"',
    ],
)
def test_non_json_is_invalid_json(tenant: Api, body: bytes) -> None:
    response = tenant.post("/intent", content=body)
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


def test_non_object_body_is_invalid_request(tenant: Api) -> None:
    response = tenant.post("/intent", content=b"[1, 2]")
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"


def test_payload_of_any_json_value_round_trips_unchanged(tenant: Api) -> None:
    payloads = [
        None,
        "text",
        12345678901234567890123456789,
        [1, "two", {"three": [3.5]}],
        {"nested": {"deep": True}},
    ]
    for payload in payloads:
        tenant.publish("roundtrip", payload=payload)
    seen = [tenant.claim_ok("goal=roundtrip")["payload"] for _ in payloads]
    assert seen == payloads


def test_body_over_the_size_limit_is_413(tenant: Api, server: ServerHandle) -> None:
    big = "x" * (server.settings.max_body_bytes + 1)
    response = tenant.post("/intent", {"goal": "g", "payload": big})
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_streamed_body_over_the_limit_is_413(tenant: Api, server: ServerHandle) -> None:
    chunk = b" " * 65536

    def body() -> Iterator[bytes]:
        for _ in range(server.settings.max_body_bytes // len(chunk) + 2):
            yield chunk

    response = tenant.http.post(
        "/intent",
        content=body(),  # chunked: no Content-Length to check up front
        headers={"X-API-KEY": tenant.key, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_nesting_deeper_than_the_limit_is_400(
    tenant: Api, server: ServerHandle
) -> None:
    depth = server.settings.max_json_depth
    deep = "[" * (depth + 1) + "]" * (depth + 1)
    response = tenant.post(
        "/intent", content=b'{"goal":"g","payload":' + deep.encode() + b"}"
    )
    assert response.status_code == 400
    assert "nesting" in response.json()["error"]["message"]
    brackets_in_strings = "[" * (depth * 2)
    ok = tenant.post("/intent", {"goal": "g", "payload": brackets_in_strings})
    assert ok.status_code == 201


def test_very_deep_nesting_is_refused_without_a_crash(tenant: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    response = tenant.post("/intent", content=b'{"goal":"g","payload":' + deep + b"}")
    assert response.status_code == 400


def test_idempotent_retry_replays_the_first_response_byte_for_byte(tenant: Api) -> None:
    first = tenant.post(
        "/intent",
        {"goal": "g", "payload": {"a": 1, "b": 2}},
        headers={"Idempotency-Key": "op-1"},
    )
    # Same JSON, different key order and spacing: the same publish.
    again = tenant.post(
        "/intent",
        content=b'{ "payload": {"b": 2, "a": 1},  "goal": "g" }',
        headers={"Idempotency-Key": "op-1"},
    )
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    tenant.claim_ok("goal=g")
    assert tenant.claim("goal=g").status_code == 204  # only one intent exists


def test_idempotency_key_with_another_body_is_409(tenant: Api) -> None:
    tenant.post("/intent", {"goal": "g"}, headers={"Idempotency-Key": "op-2"})
    response = tenant.post(
        "/intent", {"goal": "other"}, headers={"Idempotency-Key": "op-2"}
    )
    assert response.status_code == 409
    assert error_code(response) == "conflict"


def test_idempotency_keys_are_scoped_per_api_key(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    one, two = clients(server), clients(server)
    a = one.post("/intent", {"goal": "g"}, headers={"Idempotency-Key": "same"})
    b = two.post("/intent", {"goal": "g"}, headers={"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_publish_without_idempotency_key_always_creates(tenant: Api) -> None:
    assert tenant.publish("g")["id"] != tenant.publish("g")["id"]


def test_missing_or_unknown_key_is_401(server: ServerHandle) -> None:
    for headers in ({}, {"X-API-KEY": "tk_nope"}):
        response = httpx.post(
            f"{server.url}/intent", json={"goal": "g"}, headers=headers
        )
        assert response.status_code == 401
        assert error_code(response) == "unauthorized"
        assert response.headers["X-Intent-Version"] == "7.61"


def test_routing_errors_use_the_envelope_and_version_header(
    server: ServerHandle,
) -> None:
    missing = httpx.get(f"{server.url}/no/such/route")
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"
    assert missing.headers["X-Intent-Version"] == "7.61"
    wrong_method = httpx.get(f"{server.url}/intent")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()
    assert wrong_method.headers["X-Intent-Version"] == "7.61"
