"""/metrics and /health: unauthenticated endpoints that monitoring relies on."""

from __future__ import annotations

import httpx

from tests.harness import ServerHandle


def test_health_alias_answers_without_a_key(server: ServerHandle) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["x-intent-version"] == "7.61"


def test_metrics_count_requests_and_intents_without_a_key(
    server: ServerHandle,
) -> None:
    key = server.create_tenant("metrics-owner")
    headers = {"X-API-KEY": key}
    for _ in range(2):
        created = httpx.post(
            f"{server.url}/intent",
            json={"goal": "g", "payload": 1, "namespace": 'ns"q'},
            headers=headers,
        )
        assert created.status_code == 201
    httpx.get(f"{server.url}/status/unknown", headers=headers)

    response = httpx.get(f"{server.url}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'intent_bus_requests_total{method="POST",route="/intent",status="201"} 2'
        in text
    )
    assert (
        'intent_bus_requests_total{method="GET",route="/status/{intent_id}",'
        'status="404"} 1' in text
    )
    assert 'intent_bus_intents{status="open"} 2' in text
    assert 'intent_bus_namespace_intents{namespace="ns\\"q",status="open"} 2' in text
    assert "intent_bus_oldest_open_age_seconds" in text
