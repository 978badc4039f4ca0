"""The admin API: keys, stats, dead letters; tenants are forbidden."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code

ADMIN_CALLS = [
    ("POST", "/admin/keys"),
    ("GET", "/admin/keys"),
    ("DELETE", "/admin/keys/key_x"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/dead"),
    ("POST", "/admin/dead/" + "0" * 32 + "/requeue"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
def test_tenant_keys_get_403_on_admin_routes(
    tenant: Api, method: str, path: str
) -> None:
    response = tenant.request(
        method, path, {"owner": "x"} if method == "POST" else None
    )
    assert response.status_code == 403 and error_code(response) == "forbidden"


def test_create_key_returns_the_secret_once(admin: Api) -> None:
    response = admin.post("/admin/keys", {"owner": "acme"})
    assert response.status_code == 201
    created = response.json()
    assert created["api_key"].startswith("tk_") and created["owner"] == "acme"
    assert created["role"] == "tenant" and created["id"]
    assert created["created_at"] == pytest.approx(time.time(), abs=5)
    listed = admin.get("/admin/keys").json()["keys"]
    mine = [k for k in listed if k["id"] == created["id"]]
    assert mine == [
        {
            "id": created["id"],
            "owner": "acme",
            "role": "tenant",
            "created_at": created["created_at"],
            "revoked_at": None,
        }
    ]
    assert created["api_key"] not in admin.get("/admin/keys").text


def test_create_key_needs_an_owner(admin: Api) -> None:
    response = admin.post("/admin/keys", {})
    assert (
        response.status_code == 400 and "owner" in response.json()["error"]["message"]
    )


def test_revoked_key_stops_working_at_once(
    server: ServerHandle, admin: Api, clients: Callable[..., Api]
) -> None:
    created = admin.post("/admin/keys", {"owner": "leaver"}).json()
    user = clients(server, created["api_key"])
    assert user.claim().status_code == 204  # the key is now cached
    revoked = admin.delete(f"/admin/keys/{created['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = user.claim()
    assert response.status_code == 401 and error_code(response) == "unauthorized"


def test_revoking_unknown_or_admin_keys_is_refused(admin: Api) -> None:
    unknown = admin.delete("/admin/keys/key_missing")
    assert unknown.status_code == 404 and error_code(unknown) == "not_found"
    admin_id = next(
        k["id"] for k in admin.get("/admin/keys").json()["keys"] if k["role"] == "admin"
    )
    assert admin.delete(f"/admin/keys/{admin_id}").status_code == 403


def test_stats_count_by_status_and_namespace(admin: Api, tenant: Api) -> None:
    tenant.publish(namespace="a")
    tenant.publish(namespace="a")
    tenant.publish(namespace="b")
    tenant.claim_ok("namespace=b")
    stats = admin.get("/admin/stats").json()
    assert stats["by_status"]["open"] == 2 and stats["by_status"]["claimed"] == 1
    assert stats["by_namespace"]["a"]["open"] == 2
    assert stats["by_namespace"]["b"]["claimed"] == 1
    assert stats["oldest_open_created_at"] == pytest.approx(time.time(), abs=30)


def test_dead_intents_are_listed_and_requeued(
    server: ServerHandle, admin: Api, clients: Callable[..., Api]
) -> None:
    tenant = clients(server, server.create_tenant("dl"))
    job = tenant.publish(max_attempts=1, namespace="q")
    lease = tenant.claim_ok("namespace=q")
    tenant.post(
        f"/fail/{job['id']}", {"claim_token": lease["claim_token"], "error": "bad"}
    )
    dead = admin.get("/admin/dead?owner=dl&namespace=q").json()["intents"]
    assert [d["id"] for d in dead] == [job["id"]]
    assert dead[0]["owner"] == "dl" and dead[0]["status"] == "dead"
    assert admin.get("/admin/dead?owner=someone-else").json()["intents"] == []
    assert admin.get("/admin/dead?limit=0").status_code == 400
    for limit in ("1001", "%C2%B2", "9" * 30, "x", ""):
        refused = admin.get(f"/admin/dead?limit={limit}")
        assert refused.status_code == 400, limit
        assert "limit" in refused.json()["error"]["message"]
    assert admin.get("/admin/dead?limit=1000").status_code == 200
    requeued = admin.post(f"/admin/dead/{job['id']}/requeue")
    assert requeued.status_code == 200
    view = requeued.json()
    assert view["status"] == "open" and view["claim_attempts"] == 0
    assert tenant.claim_ok("namespace=q")["id"] == job["id"]
    again = admin.post(f"/admin/dead/{job['id']}/requeue")
    assert again.status_code == 404 and error_code(again) == "not_found"


def test_admin_publishes_as_its_own_owner(admin: Api) -> None:
    job = admin.publish()
    assert admin.claim_ok()["id"] == job["id"]


def test_tenant_key_with_the_admin_owner_is_refused(admin: Api) -> None:
    before = admin.get("/admin/keys").json()["keys"]
    response = admin.post("/admin/keys", {"owner": protocol.ADMIN_OWNER})
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert "owner" in response.json()["error"]["message"]
    assert admin.get("/admin/keys").json()["keys"] == before


def test_admin_intents_stay_apart_from_a_tenant_with_a_lookalike_owner(
    server: ServerHandle, admin: Api, clients: Callable[..., Api]
) -> None:
    intent = admin.publish(goal="secret")
    lookalike = clients(server, server.create_tenant("Admin"))
    assert lookalike.get(f"/status/{intent['id']}").status_code == 404
    assert lookalike.claim("goal=secret").status_code == 204
