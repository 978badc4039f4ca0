"""GET /status and /result: views, visibility to the publishing tenant only."""

from __future__ import annotations

from collections.abc import Callable

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_result_is_202_until_terminal_then_200_with_the_result(tenant: Api) -> None:
    job = tenant.publish()
    pending = tenant.get(f"/result/{job['id']}")
    assert pending.status_code == 202
    assert pending.json()["status"] == "open" and "result" not in pending.json()
    lease = tenant.claim_ok()
    assert tenant.get(f"/result/{job['id']}").status_code == 202
    tenant.post(
        f"/fulfill/{job['id']}",
        {"claim_token": lease["claim_token"], "result_type": "text", "result": "done"},
    )
    done = tenant.get(f"/result/{job['id']}")
    assert done.status_code == 200
    view = done.json()
    assert view["status"] == "fulfilled"
    assert view["result"] == "done" and view["result_type"] == "text"
    assert view["completed_at"] >= view["created_at"]


def test_json_result_is_returned_unchanged(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    result = {"files": ["a", "b"], "n": 12345678901234567890, "ok": True}
    tenant.post(
        f"/fulfill/{job['id']}", {"claim_token": lease["claim_token"], "result": result}
    )
    view = tenant.get(f"/result/{job['id']}").json()
    assert view["result"] == result and view["result_type"] == "json"


def test_status_has_the_documented_fields(tenant: Api) -> None:
    job = tenant.publish(target_worker="w", required_capability="c", priority=3)
    view = tenant.get(f"/status/{job['id']}").json()
    assert set(view) >= {
        "id",
        "status",
        "goal",
        "namespace",
        "claim_attempts",
        "max_attempts",
        "priority",
        "run_at",
        "created_at",
        "error",
        "visibility",
        "target_worker",
        "required_capability",
        "lease_expires_at",
        "completed_at",
    }
    assert view == job  # nothing changed since the publish


def test_other_tenants_get_404_but_the_same_tenant_and_admins_see_it(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice_key = server.create_tenant("alice")
    alice, alice_rotated = (
        clients(server, alice_key),
        clients(server, server.create_tenant("alice")),
    )
    bob = clients(server, server.create_tenant("bob"))
    admin = clients(server, server.admin_key)
    job = alice.publish(visibility="public")
    for path in (f"/status/{job['id']}", f"/result/{job['id']}"):
        hidden = bob.get(path)
        assert hidden.status_code == 404 and error_code(hidden) == "not_found"
        assert alice_rotated.get(path).status_code in (200, 202)
        assert admin.get(path).status_code in (200, 202)


def test_unknown_intent_is_404(tenant: Api) -> None:
    for path in ("/status/" + "f" * 32, "/result/nope"):
        response = tenant.get(path)
        assert response.status_code == 404 and error_code(response) == "not_found"


def test_result_of_a_dead_intent_has_a_string_result_type(tenant: Api) -> None:
    # The published 2.1.2 SDK refuses `"result_type": null`.
    job = tenant.publish("doomed", max_attempts=1)
    lease = tenant.claim_ok("goal=doomed")
    failed = tenant.post(
        f"/fail/{job['id']}", {"claim_token": lease["claim_token"], "error": "x"}
    )
    assert failed.json()["status"] == "dead"
    view = tenant.get(f"/result/{job['id']}").json()
    assert view["status"] == "dead"
    assert view["result_type"] == "json" and view["result"] is None
