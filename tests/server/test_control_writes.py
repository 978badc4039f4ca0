"""POST /cancel/<id> and POST /requeue/<id> over HTTP, on both backends."""

from __future__ import annotations

from collections.abc import Callable

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_cancel_open_then_requeue(tenant: Api) -> None:
    published = tenant.publish()
    cancelled = tenant.post(f"/cancel/{published['id']}")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert (body["status"], body["cancel_requested"]) == ("cancelled", False)
    assert body["completed_at"] is not None
    assert tenant.claim().status_code == 204
    result = tenant.get(f"/result/{published['id']}")
    assert result.status_code == 200
    assert (result.json()["result"], result.json()["result_type"]) == (None, "json")
    again = tenant.post(f"/cancel/{published['id']}")
    assert again.status_code == 409 and error_code(again) == "conflict"

    requeued = tenant.post(f"/requeue/{published['id']}")
    assert requeued.status_code == 200
    assert (requeued.json()["status"], requeued.json()["claim_attempts"]) == (
        "open",
        0,
    )
    assert tenant.claim_ok()["id"] == published["id"]
    refused = tenant.post(f"/requeue/{published['id']}")
    assert refused.status_code == 409 and error_code(refused) == "conflict"


def test_cancel_of_a_claimed_intent_reaches_the_worker(tenant: Api) -> None:
    tenant.publish()
    lease = tenant.claim_ok()
    token = {"claim_token": lease["claim_token"]}
    before = tenant.post(f"/extend_claim/{lease['id']}", token)
    assert before.json()["cancel_requested"] is False
    asked = tenant.post(f"/cancel/{lease['id']}")
    assert asked.status_code == 200
    assert (asked.json()["status"], asked.json()["cancel_requested"]) == (
        "claimed",
        True,
    )
    extended = tenant.post(f"/extend_claim/{lease['id']}", token)
    assert extended.status_code == 200 and extended.json()["cancel_requested"] is True
    done = tenant.post(f"/fulfill/{lease['id']}", {**token, "result": 1})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    status = tenant.get(f"/status/{lease['id']}").json()
    assert status["status"] == "cancelled"


def test_fail_after_cancel_answers_cancelled(tenant: Api) -> None:
    tenant.publish()
    lease = tenant.claim_ok()
    tenant.post(f"/cancel/{lease['id']}")
    body = {"claim_token": lease["claim_token"], "error": "stopped"}
    done = tenant.post(f"/fail/{lease['id']}", body)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_other_tenants_get_404_and_admin_may_act(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice, bob = clients(server), clients(server)
    published = alice.publish()
    for action in ("cancel", "requeue"):
        refused = bob.post(f"/{action}/{published['id']}")
        assert refused.status_code == 404 and error_code(refused) == "not_found"
    assert alice.get(f"/status/{published['id']}").json()["status"] == "open"
    assert admin.post(f"/cancel/{published['id']}").json()["status"] == "cancelled"
    assert admin.post(f"/requeue/{published['id']}").json()["status"] == "open"
    unknown = alice.post("/cancel/no-such-intent")
    assert unknown.status_code == 404 and error_code(unknown) == "not_found"
