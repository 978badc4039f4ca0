"""/metrics and /health: unauthenticated endpoints that monitoring relies on."""

from __future__ import annotations

from collections.abc import Callable

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
    assert "intent_bus_oldest_open_age_seconds" in text
    # Namespaces are tenants' business: not shown without a key ...
    assert "intent_bus_namespace_intents" not in text
    assert 'namespace="ns' not in text
    # ... but to an admin key.
    admin = httpx.get(f"{server.url}/metrics", headers={"X-API-KEY": server.admin_key})
    assert admin.status_code == 200
    assert 'intent_bus_namespace_intents{namespace="ns\\"q",status="open"} 2' in (
        admin.text
    )


def test_metrics_key_shows_namespaces_and_wrong_keys_are_refused(
    custom_server: Callable[..., ServerHandle],
) -> None:
    server = custom_server(metrics_key="mk_secret")
    tenant = server.create_tenant()
    created = httpx.post(
        f"{server.url}/intent",
        json={"goal": "g", "namespace": "billing"},
        headers={"X-API-KEY": tenant},
    )
    assert created.status_code == 201
    line = 'intent_bus_namespace_intents{namespace="billing",status="open"} 1'
    for headers in (
        {"Authorization": "Bearer mk_secret"},
        {"X-API-KEY": "mk_secret"},
        {"Authorization": f"Bearer {server.admin_key}"},
    ):
        response = httpx.get(f"{server.url}/metrics", headers=headers)
        assert response.status_code == 200, headers
        assert line in response.text
    assert "billing" not in httpx.get(f"{server.url}/metrics").text
    refused = {
        "Bearer wrong": 401,
        "Basic bWs6c2VjcmV0": 401,
        f"Bearer {tenant}": 403,
    }
    for value, status in refused.items():
        response = httpx.get(f"{server.url}/metrics", headers={"Authorization": value})
        assert response.status_code == status, value
        assert "billing" not in response.text
