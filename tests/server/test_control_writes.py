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


def test_timeline_over_http(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice, bob = clients(server), clients(server)
    alice.publish()
    lease = alice.claim_ok(**{"X-Worker-ID": "w7"})
    alice.post(
        f"/fail/{lease['id']}", {"claim_token": lease["claim_token"], "error": "e"}
    )
    answer = alice.get(f"/intents/{lease['id']}/events")
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == lease["id"]
    assert [event["type"] for event in body["events"]] == [
        "published",
        "claimed",
        "failed",
    ]
    assert body["events"][0].keys() == {"type", "at"}
    assert (body["events"][1]["worker"], body["events"][1]["attempt"]) == ("w7", 1)
    assert body["events"][2]["error"] == "e"
    assert admin.get(f"/intents/{lease['id']}/events").json() == body
    hidden = bob.get(f"/intents/{lease['id']}/events")
    assert hidden.status_code == 404 and error_code(hidden) == "not_found"


def test_bulk_requeue_and_cancel_over_http(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice, bob = clients(server), clients(server)
    for _ in range(3):
        alice.publish(goal="bulk", namespace="nsb", max_attempts=1)
        lease = alice.claim_ok("namespace=nsb")
        alice.post(
            f"/fail/{lease['id']}",
            {"claim_token": lease["claim_token"], "error": "Disk FULL on /x"},
        )
    opened = [alice.publish(goal="later", namespace="nsb") for _ in range(2)]
    bob.publish(goal="later", namespace="nsb")

    body = {"namespace": "nsb", "error_contains": "disk full", "dry_run": True}
    dry = alice.post("/intents/requeue", body)
    assert dry.status_code == 200 and dry.json() == {"matched": 3, "requeued": 0}
    assert bob.post("/intents/requeue", body).json() == {"matched": 0, "requeued": 0}
    done = alice.post("/intents/requeue", {**body, "dry_run": False})
    assert done.json() == {"matched": 3, "requeued": 3}

    cancel = alice.post("/intents/cancel", {"goal": "later"})
    assert cancel.json() == {"matched": 2, "cancelled": 2}
    for intent in opened:
        assert alice.get(f"/status/{intent['id']}").json()["status"] == "cancelled"
    assert alice.get(f"/intents/{opened[0]['id']}/events").json()["events"][-1] == {
        "type": "cancelled",
        "at": alice.get(f"/status/{opened[0]['id']}").json()["completed_at"],
    }

    refused = alice.post("/intents/cancel", {"owner": "someone"})
    assert refused.status_code == 400 and error_code(refused) == "invalid_request"
    typo = alice.post("/intents/cancel", {"error_contains": "x"})
    assert typo.status_code == 400 and error_code(typo) == "invalid_request"
    assert admin.post("/intents/cancel", {"goal": "later", "dry_run": True}).json() == {
        "matched": 1,
        "cancelled": 0,
    }
