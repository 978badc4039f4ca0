"""GET /explain/{id} over real HTTP: the answer's shape, and 404 for an intent
the key may not see (every reason code is tested in tests/contract)."""

from __future__ import annotations

from collections.abc import Callable

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_explain_answers_reasons_and_hides_other_tenants(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    job = alice.publish(goal="resize", delay=300)

    response = alice.get(f"/explain/{job['id']}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "status", "claimable_now", "reasons", "schedule"}
    assert body["schedule"] is None
    assert body["id"] == job["id"] and body["status"] == "open"
    assert body["claimable_now"] is False
    codes = {reason["code"]: reason for reason in body["reasons"]}
    assert set(codes) == {"delayed", "no_live_worker"}
    assert codes["delayed"]["details"]["due_at"] == job["run_at"]
    assert all(set(r) == {"code", "message", "details"} for r in body["reasons"])

    hidden = bob.get(f"/explain/{job['id']}")
    assert hidden.status_code == 404 and error_code(hidden) == "not_found"
    assert admin.get(f"/explain/{job['id']}").status_code == 200
    assert alice.get("/explain/nope").status_code == 404


def test_explain_claim_takes_the_claim_query_and_never_claims(tenant: Api) -> None:
    tenant.publish(goal="resize", required_capability="gpu")
    worker = {"X-Worker-ID": "w1", "X-Worker-Capabilities": "cpu"}

    response = tenant.get("/explain/claim?goal=resize", headers=worker)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["claimable"] == 0
    assert [(g["code"], g["count"], g["details"]) for g in body["groups"]] == [
        ("capability_missing", 1, {"capability": "gpu"})
    ]
    assert tenant.claim("goal=resize", **worker).status_code == 204
    assert tenant.claim_ok("goal=resize", **{"X-Worker-Capabilities": "gpu"})
    bad = tenant.get("/explain/claim?wait=-1")
    assert bad.status_code == 400 and error_code(bad) == "invalid_request"
