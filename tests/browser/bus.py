"""Putting intents on the bus through the public API, as tests' setup."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import ServerHandle


def publish(
    server: ServerHandle, key: str, goal: str, payload: Any, **extra: Any
) -> str:
    response = httpx.post(
        f"{server.url}/intent",
        json={"goal": goal, "payload": payload, **extra},
        headers={"X-API-KEY": key},
    )
    assert response.status_code == 201, response.text
    intent_id: str = response.json()["id"]
    return intent_id


def kill(server: ServerHandle, key: str, goal: str, error: str) -> str:
    """Publishes one intent with a single attempt and fails it: it is dead."""
    intent_id = publish(server, key, goal, {"n": 1}, max_attempts=1)
    claim = httpx.post(
        f"{server.url}/claim",
        params={"goal": goal},
        headers={"X-API-KEY": key, "X-Worker-ID": "w-test"},
    )
    assert claim.status_code == 200, claim.text
    assert claim.json()["id"] == intent_id
    failed = httpx.post(
        f"{server.url}/fail/{intent_id}",
        json={"claim_token": claim.json()["claim_token"], "error": error},
        headers={"X-API-KEY": key},
    )
    assert failed.json()["status"] == "dead", failed.text
    return intent_id


def status(server: ServerHandle, key: str, intent_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/status/{intent_id}", headers={"X-API-KEY": key})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
