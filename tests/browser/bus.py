"""Putting intents on the bus through the public API, as tests' setup."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import ServerHandle

# One client for all set-up requests: kept-alive connections make a test's
# dozens of publishes cheap.
http = httpx.Client(timeout=10)


def publish(
    server: ServerHandle, key: str, goal: str, payload: Any, **extra: Any
) -> str:
    response = http.post(
        f"{server.url}/intent",
        json={"goal": goal, "payload": payload, **extra},
        headers={"X-API-KEY": key},
    )
    assert response.status_code == 201, response.text
    intent_id: str = response.json()["id"]
    return intent_id


def claim(
    server: ServerHandle,
    key: str,
    goal: str,
    worker: str = "w-test",
    capabilities: str | None = None,
    namespace: str = "default",
) -> dict[str, Any]:
    """One POST /claim as worker `worker` (which registers it); the claimed
    intent (with its claim_token), or {} when there was none."""
    headers = {"X-API-KEY": key, "X-Worker-ID": worker}
    if capabilities:
        headers["X-Worker-Capabilities"] = capabilities
    response = http.post(
        f"{server.url}/claim",
        params={"goal": goal, "namespace": namespace},
        headers=headers,
    )
    assert response.status_code in (200, 204), response.text
    answer: dict[str, Any] = response.json() if response.status_code == 200 else {}
    return answer


def kill(
    server: ServerHandle, key: str, goal: str, error: str, namespace: str = "default"
) -> str:
    """Publishes one intent with a single attempt and fails it: it is dead."""
    intent_id = publish(
        server, key, goal, {"n": 1}, max_attempts=1, namespace=namespace
    )
    claimed = claim(server, key, goal, namespace=namespace)
    assert claimed["id"] == intent_id
    failed = http.post(
        f"{server.url}/fail/{intent_id}",
        json={"claim_token": claimed["claim_token"], "error": error},
        headers={"X-API-KEY": key},
    )
    assert failed.json()["status"] == "dead", failed.text
    return intent_id


def fulfill(
    server: ServerHandle, key: str, claimed: dict[str, Any], result: Any
) -> None:
    response = http.post(
        f"{server.url}/fulfill/{claimed['id']}",
        json={"claim_token": claimed["claim_token"], "result": result},
        headers={"X-API-KEY": key},
    )
    assert response.status_code == 200, response.text


def get(server: ServerHandle, key: str, path: str, **params: Any) -> Any:
    """A GET of the JSON API, asserted 200."""
    response = http.get(
        f"{server.url}{path}", params=params, headers={"X-API-KEY": key}
    )
    assert response.status_code == 200, response.text
    return response.json()


def status(server: ServerHandle, key: str, intent_id: str) -> dict[str, Any]:
    response = http.get(f"{server.url}/status/{intent_id}", headers={"X-API-KEY": key})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
