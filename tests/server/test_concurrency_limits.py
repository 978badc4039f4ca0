"""PUT, GET and DELETE /limits over real HTTP: claims stop at the limit, explain
says why, an ended lease wakes a long-polling worker at once, and each tenant
sees and changes only its own limits (an admin names an owner)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from tests.harness import ServerHandle
from tests.server.api import Api, error_code

LIMIT = {"namespace": "default", "goal": "resize", "max_running": 1}


def test_a_limit_stops_claims_and_explain_names_it(tenant: Api) -> None:
    put = tenant.put("/limits", {**LIMIT, "max_per_key": 1})
    assert put.status_code == 200, put.text
    assert put.json() == {
        **LIMIT,
        "max_per_key": 1,
        "owner": put.json()["owner"],
        "running": 0,
        "updated_at": put.json()["updated_at"],
    }
    tenant.publish(goal="resize", concurrency_key="customer-1")
    waiting = tenant.publish(goal="resize", concurrency_key="customer-1")
    tenant.claim_ok()
    assert tenant.claim().status_code == 204

    explained = tenant.get(f"/explain/{waiting['id']}").json()
    (reason,) = [r for r in explained["reasons"] if r["code"] == "concurrency_limit"]
    assert explained["claimable_now"] is False
    assert reason["details"] == {
        "max_running": 1,
        "running": 1,
        "max_per_key": 1,
        "concurrency_key": "customer-1",
        "running_with_key": 1,
    }
    groups = tenant.get("/explain/claim").json()["groups"]
    assert [(g["code"], g["count"]) for g in groups] == [("concurrency_limit", 1)]
    assert groups[0]["details"]["running"] == 1
    (listed,) = tenant.get("/limits").json()["limits"]
    assert listed["running"] == 1

    deleted = tenant.delete("/limits?namespace=default&goal=resize")
    assert deleted.json() == {"deleted": True}
    assert tenant.claim_ok()["id"] == waiting["id"]
    gone = tenant.delete("/limits?namespace=default&goal=resize")
    assert gone.status_code == 404 and error_code(gone) == "not_found"


def test_a_fulfilled_lease_wakes_a_long_polling_worker_at_once(tenant: Api) -> None:
    tenant.put("/limits", LIMIT)
    tenant.publish(goal="resize")
    second = tenant.publish(goal="resize")
    first = tenant.claim_ok()
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(tenant.claim("wait=20")), daemon=True
    )
    started = time.monotonic()
    waiting.start()
    time.sleep(0.5)
    assert answers == []
    done = tenant.post(f"/fulfill/{first['id']}", {"claim_token": first["claim_token"]})
    assert done.status_code == 200, done.text
    waiting.join(10)

    assert answers and answers[0].status_code == 200
    assert answers[0].json()["id"] == second["id"]
    assert time.monotonic() - started < 4  # woken, not the end of the wait


def test_limits_are_per_tenant_and_owner_is_admin_only(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    assert alice.put("/limits", LIMIT).status_code == 200
    bob.publish(goal="resize")
    bob.publish(goal="resize")

    assert bob.get("/limits").json() == {"limits": []}
    assert bob.delete("/limits?namespace=default&goal=resize").status_code == 404
    assert bob.claim_ok() and bob.claim_ok()
    for bad in (
        bob.put("/limits", {**LIMIT, "max_running": 0}),
        bob.put("/limits", {**LIMIT, "max_per_key": 0}),
        bob.put("/limits", {"namespace": "default", "max_running": 1}),
        bob.delete("/limits?namespace=default"),
        bob.post("/intent", {"goal": "g", "concurrency_key": "k" * 129}),
    ):
        assert bad.status_code == 400 and error_code(bad) == "invalid_request"
    for forbidden in (
        bob.put("/limits", {**LIMIT, "owner": "alice"}),
        bob.get("/limits?owner=alice"),
        bob.delete("/limits?namespace=default&goal=resize&owner=alice"),
    ):
        assert forbidden.status_code == 403 and error_code(forbidden) == "forbidden"

    assert [lim["owner"] for lim in admin.get("/limits").json()["limits"]] == ["alice"]
    assert admin.put("/limits", {**LIMIT, "owner": "bob"}).status_code == 200
    assert admin.get("/limits?owner=bob").json()["limits"][0]["running"] == 2
    bob.publish(goal="resize")
    assert bob.claim().status_code == 204
    lifted = admin.delete("/limits?namespace=default&goal=resize&owner=bob")
    assert lifted.json() == {"deleted": True}
    assert bob.claim().status_code == 200
