"""Retries through a fault-injecting proxy (dropped requests, lost answers,
delays), on both backends: a publish retried with its idempotency key creates
exactly one intent, and a completion retried after a lost answer gets the
outcome that was stored, while a different outcome is still refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.sdk.faultproxy import FaultProxy, fault_proxy

pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(server: ServerHandle) -> Iterator[FaultProxy]:
    with fault_proxy(server.url) as running:
        yield running


def _post_until_answered(
    proxy: FaultProxy, key: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[httpx.Response, int]:
    """Posts the same request until an answer arrives; returns it and the tries."""
    for attempt in range(1, 6):
        try:
            with httpx.Client(base_url=proxy.url, timeout=10) as http:
                response = http.post(
                    path, json=body, headers={protocol.HEADER_API_KEY: key, **headers}
                )
            return response, attempt
        except httpx.TransportError:
            continue
    raise AssertionError(f"{path}: no answer after 5 tries")


def _open_count(server: ServerHandle) -> int:
    stats = httpx.get(
        f"{server.url}/admin/stats",
        headers={protocol.HEADER_API_KEY: server.admin_key},
    ).json()
    return int(stats["by_status"].get("open", 0))


@pytest.mark.parametrize("faults", [("lose",), ("drop", "lose", "delay:0.3")])
def test_a_publish_retried_with_its_key_creates_one_intent(
    server: ServerHandle, proxy: FaultProxy, faults: tuple[str, ...]
) -> None:
    key = server.create_tenant()
    proxy.inject("/intent", *faults)
    body = {"goal": "once", "payload": {"n": 1}}
    idem = {protocol.HEADER_IDEMPOTENCY_KEY: "publish-once"}
    response, tries = _post_until_answered(proxy, key, "/intent", body, idem)
    assert response.status_code in (200, 201), response.text
    assert tries == len([f for f in faults if f != "delay:0.3"]) + 1
    assert proxy.count("/intent") == tries - faults.count("drop")
    assert _open_count(server) == 1
    again = httpx.post(
        f"{server.url}/intent",
        json=body,
        headers={protocol.HEADER_API_KEY: key, **idem},
    )
    assert again.json()["id"] == response.json()["id"]
    assert _open_count(server) == 1


@pytest.mark.parametrize(
    ("path", "outcome", "other", "status"),
    [
        ("/fulfill", {"result": {"ok": 1}}, {"result": {"ok": 2}}, "fulfilled"),
        ("/fail", {"error": "boom"}, {"error": "other"}, "dead"),
    ],
)
def test_a_completion_retried_after_a_lost_answer_is_consistent(
    server: ServerHandle,
    proxy: FaultProxy,
    path: str,
    outcome: dict[str, Any],
    other: dict[str, Any],
    status: str,
) -> None:
    key = server.create_tenant()
    headers = {protocol.HEADER_API_KEY: key}
    published = httpx.post(
        f"{server.url}/intent",
        json={"goal": "retry", "max_attempts": 1},
        headers=headers,
    )
    assert published.status_code == 201, published.text
    lease = httpx.post(f"{server.url}/claim", headers=headers).json()
    body = {"claim_token": lease["claim_token"], **outcome}
    proxy.inject(path, "lose")
    response, tries = _post_until_answered(
        proxy, key, f"{path}/{lease['id']}", body, {}
    )
    assert tries == 2 and proxy.count(path) == 2
    assert response.status_code == 200, response.text
    assert response.json()["status"] == status
    view = httpx.get(f"{server.url}/status/{lease['id']}", headers=headers).json()
    assert view["status"] == status
    refused = httpx.post(
        f"{server.url}{path}/{lease['id']}",
        json={"claim_token": lease["claim_token"], **other},
        headers=headers,
    )
    assert refused.status_code in (404, 409), refused.text
    assert "error" in refused.json()
