"""POST /intents, POST /claim?max=N and POST /complete over real HTTP, on
both backends (issue 13)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_publish_many_answers_per_item_in_order(tenant: Api) -> None:
    response = tenant.post(
        "/intents",
        {
            "intents": [
                {"goal": "a", "payload": 1, "idempotency_key": "k1"},
                {"goal": "b", "priority": 7.0},
                {"goal": "a", "payload": 1, "idempotency_key": "k1"},
                {"goal": "c", "idempotency_key": "k1"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == [
        "created",
        "created",
        "replayed",
        "error",
    ]
    assert results[2]["id"] == results[0]["id"]
    assert results[3]["error"]["code"] == "conflict"
    status = tenant.get(f"/status/{results[1]['id']}").json()
    assert (status["goal"], status["priority"], status["status"]) == ("b", 7, "open")


def test_a_batch_key_is_the_single_publish_key(tenant: Api) -> None:
    single = tenant.post(
        "/intent",
        {"goal": "a", "payload": [1]},
        headers={protocol.HEADER_IDEMPOTENCY_KEY: "shared"},
    )
    assert single.status_code == 201
    batch = tenant.post(
        "/intents",
        {"intents": [{"goal": "a", "payload": [1], "idempotency_key": "shared"}]},
    )
    assert batch.json()["results"] == [
        {"outcome": "replayed", "id": single.json()["id"]}
    ]


def test_a_malformed_item_refuses_the_whole_batch(tenant: Api, admin: Api) -> None:
    before = admin.get("/admin/stats").json()
    for intents in (
        [{"goal": "ok"}, {"goal": ""}],
        [{"goal": "ok"}, {"goal": "x", "priority": 1.5}],
        [{"goal": "ok"}, "nope"],
        [],
        [{"goal": "g"}] * (protocol.PUBLISH_BATCH_MAX + 1),
    ):
        response = tenant.post("/intents", {"intents": intents})
        assert response.status_code == 400, response.text
        assert error_code(response) == "invalid_request"
    message = tenant.post("/intents", {"intents": [{"goal": "ok"}, {"goal": ""}]})
    assert "intents[1].goal" in message.json()["error"]["message"]
    assert admin.get("/admin/stats").json() == before


def test_claim_without_max_is_the_single_claim(tenant: Api) -> None:
    tenant.publish()
    body = tenant.claim_ok()
    assert "claim_token" in body and "intents" not in body


def test_claim_max_leases_several_with_their_own_tokens(tenant: Api) -> None:
    for priority in (1, 2, 3):
        tenant.publish(priority=priority)
    body = tenant.claim_ok("max=2")
    leases = body["intents"]
    assert [lease["priority"] for lease in leases] == [3, 2]
    assert len({lease["claim_token"] for lease in leases}) == 2
    assert [x["priority"] for x in tenant.claim_ok("max=5")["intents"]] == [1]
    empty = tenant.claim("max=5")
    assert empty.status_code == 204 and "Retry-After" in empty.headers
    assert tenant.claim("max=0").status_code == 400
    over = f"max={protocol.CLAIM_BATCH_MAX + 1}"
    assert tenant.claim(over).status_code == 400


def test_claim_max_long_polls_until_one_arrives(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    worker = clients(server)
    publisher = clients(server, worker.key)
    timer = threading.Timer(0.3, lambda: publisher.publish("late"))
    timer.start()
    started = time.monotonic()
    try:
        body = worker.claim_ok("max=10&wait=5")
    finally:
        timer.cancel()
    assert [x["goal"] for x in body["intents"]] == ["late"]
    assert time.monotonic() - started < 4


def test_complete_checks_each_item_against_its_own_token(tenant: Api) -> None:
    ids = [tenant.publish(max_attempts=2)["id"] for _ in range(3)]
    leases = {x["id"]: x for x in tenant.claim_ok("max=3")["intents"]}
    items = [
        {
            "id": ids[0],
            "claim_token": leases[ids[0]]["claim_token"],
            "result": {"a": 1},
        },
        {"id": ids[1], "claim_token": leases[ids[1]]["claim_token"], "error": "boom"},
        {"id": ids[2], "claim_token": "stale", "result": 1},
    ]
    response = tenant.post("/complete", {"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["status"] == "fulfilled" and "completed_at" in results[0]
    assert results[1]["status"] == "open" and results[1]["claim_attempts"] == 1
    assert results[2] == {
        "id": ids[2],
        "error": {"code": "lease_lost", "message": results[2]["error"]["message"]},
    }
    assert tenant.get(f"/result/{ids[0]}").json()["result"] == {"a": 1}
    assert tenant.get(f"/status/{ids[2]}").json()["status"] == "claimed"
    # Retried after a lost answer: the same outcomes.
    again = tenant.post("/complete", {"items": items}).json()["results"]
    assert again[:2] == results[:2] and again[2]["error"]["code"] == "lease_lost"


def test_complete_refuses_malformed_items_before_writing(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    token = lease["claim_token"]
    for items in (
        [{"id": job["id"], "claim_token": token, "result": 1, "error": "x"}],
        [{"id": job["id"], "claim_token": token, "result": None, "error": "x"}],
        [{"id": job["id"], "claim_token": token, "result_type": "text", "error": "x"}],
        [{"id": job["id"], "claim_token": token, "error": None}],
        [{"id": job["id"], "claim_token": token, "result_type": "text", "result": 1}],
        [{"id": job["id"], "claim_token": token}, {"id": job["id"]}],
        [],
    ):
        response = tenant.post("/complete", {"items": items})
        assert response.status_code == 400, response.text
    assert tenant.get(f"/status/{job['id']}").json()["status"] == "claimed"


def test_another_tenant_cannot_complete_or_see_a_lease(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice, bob = clients(server), clients(server)
    job = alice.publish()
    lease = alice.claim_ok()
    assert bob.claim("max=5").status_code == 204
    item = {"id": job["id"], "claim_token": lease["claim_token"], "result": 1}
    results = bob.post("/complete", {"items": [item]}).json()["results"]
    assert results[0]["error"]["code"] == "lease_lost"
    assert alice.get(f"/status/{job['id']}").json()["status"] == "claimed"
    named = bob.post(
        "/intents", {"intents": [{"goal": "g"}]}, headers={"X-API-KEY": bob.key}
    )
    assert named.status_code == 200
    assert alice.claim("max=5").status_code == 204  # bob's private intent
