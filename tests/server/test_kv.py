"""The KV store over HTTP: values unchanged, TTLs, tenant isolation."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


@pytest.mark.parametrize(
    "value", ["text", '{"sdk": "sends dicts as strings"}', 3, 2.5, None, [1, {"a": 2}]]
)
def test_set_then_get_returns_the_value_unchanged(tenant: Api, value: object) -> None:
    response = tenant.post("/set/config", {"value": value, "ttl": 60})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["key"] == "config"
    assert body["expires_at"] == pytest.approx(time.time() + 60, abs=5)
    assert tenant.get("/get/config").json() == {"value": value}


def test_missing_key_is_404(tenant: Api) -> None:
    response = tenant.get("/get/never-set")
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_value_expires_after_its_ttl(tenant: Api) -> None:
    tenant.post("/set/short", {"value": 1, "ttl": 1})
    deadline = time.monotonic() + 10
    while tenant.get("/get/short").status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert tenant.get("/get/short").status_code == 404


def test_ttl_is_capped_by_the_server_maximum(tenant: Api, server: ServerHandle) -> None:
    body = tenant.post("/set/long", {"value": 1, "ttl": 10**9}).json()
    assert body["expires_at"] <= time.time() + server.settings.kv_max_ttl + 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ttl": 10}, "value"),
        ({"value": 1, "ttl": 0}, "ttl"),
        ({"value": 1, "ttl": "x"}, "ttl"),
    ],
)
def test_invalid_set_is_400_naming_the_field(
    tenant: Api, body: dict[str, object], field: str
) -> None:
    response = tenant.post("/set/k", body)
    assert response.status_code == 400 and error_code(response) == "invalid_request"
    assert field in response.json()["error"]["message"]


def test_key_longer_than_256_chars_is_400(tenant: Api) -> None:
    assert tenant.post("/set/" + "k" * 257, {"value": 1}).status_code == 400
    assert tenant.post("/set/" + "k" * 256, {"value": 1}).status_code == 200


def test_tenants_never_see_each_others_keys(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    alice.post("/set/shared-name", {"value": "alice's"})
    assert bob.get("/get/shared-name").status_code == 404
    bob.post("/set/shared-name", {"value": "bob's"})
    assert alice.get("/get/shared-name").json() == {"value": "alice's"}
    # Another key of the same tenant shares its values.
    alice2 = clients(server, server.create_tenant("alice"))
    assert alice2.get("/get/shared-name").json() == {"value": "alice's"}
