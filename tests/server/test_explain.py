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
    assert set(body) == {"id", "status", "claimable_now", "reasons"}
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
