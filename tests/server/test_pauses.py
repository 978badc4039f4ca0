"""POST /pause, /resume and GET /pauses over real HTTP: claims skip paused
intents while publishes are taken, a resume wakes a long-polling worker at
once, and each tenant sees and lifts only its own pauses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_pause_stops_claims_but_not_publishes_until_resumed(tenant: Api) -> None:
    paused = tenant.post("/pause", {"namespace": "default"})
    assert paused.status_code == 200, paused.text
    body = paused.json()
    assert body["namespace"] == "default" and body["goal"] is None
    again = tenant.post("/pause", {"namespace": "default"}).json()
    assert again["paused_at"] == body["paused_at"]

    job = tenant.publish()
    assert tenant.claim().status_code == 204

    resumed = tenant.post("/resume", {"namespace": "default"})
    assert resumed.json() == {"resumed": True}
    assert tenant.post("/resume", {"namespace": "default"}).json() == {"resumed": False}
    assert tenant.claim_ok()["id"] == job["id"]


def test_goal_pause_leaves_other_goals_claimable(tenant: Api) -> None:
    tenant.post("/pause", {"namespace": "default", "goal": "resize"})
    tenant.publish(goal="resize", priority=900)
    email = tenant.publish(goal="email")
    assert tenant.claim_ok()["id"] == email["id"]
    assert tenant.claim().status_code == 204
    assert [p["goal"] for p in tenant.get("/pauses").json()["pauses"]] == ["resize"]


def test_resume_wakes_a_long_polling_worker_at_once(tenant: Api) -> None:
    tenant.post("/pause", {"namespace": "default"})
    job = tenant.publish()
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(tenant.claim("wait=20")), daemon=True
    )
    started = time.monotonic()
    waiting.start()
    time.sleep(0.5)
    assert answers == []
    tenant.post("/resume", {"namespace": "default"})
    waiting.join(10)

    assert answers and answers[0].status_code == 200
    assert answers[0].json()["id"] == job["id"]
    assert time.monotonic() - started < 4  # woken, not the 5 s re-check


def test_pauses_are_per_tenant_and_owner_is_admin_only(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    alice.post("/pause", {"namespace": "jobs"})
    bob_job = bob.publish(namespace="jobs")

    assert bob.get("/pauses").json() == {"pauses": []}
    assert bob.post("/resume", {"namespace": "jobs"}).json() == {"resumed": False}
    assert bob.claim_ok("namespace=jobs")["id"] == bob_job["id"]
    for bad in (
        bob.post("/pause", {"namespace": "jobs", "owner": "alice"}),
        bob.get("/pauses?owner=alice"),
        bob.post("/pause", {"namespace": ""}),
        bob.post("/pause", {"goal": "x"}),
    ):
        assert bad.status_code == 400 and error_code(bad) == "invalid_request"

    assert [p["owner"] for p in admin.get("/pauses").json()["pauses"]] == ["alice"]
    admin.post("/pause", {"namespace": "jobs", "owner": "bob"})
    assert admin.get("/pauses?owner=bob").json()["pauses"][0]["owner"] == "bob"
    assert bob.publish(namespace="jobs")["status"] == "open"
    assert bob.claim("namespace=jobs").status_code == 204
    lifted = admin.post("/resume", {"namespace": "jobs", "owner": "bob"})
    assert lifted.json() == {"resumed": True}
    assert bob.claim("namespace=jobs").status_code == 200
