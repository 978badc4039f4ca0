"""GET /workers over real HTTP: claims register workers (id, capabilities,
goals, namespaces, client version, leases held), per tenant, and a worker
waiting in a long-poll is live."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_claims_register_workers_per_tenant(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    alice.publish(goal="resize")
    worker = {
        "X-Worker-ID": "gpu-1",
        "X-Worker-Capabilities": "gpu, cuda",
        "X-Intent-Version": "2.1",
    }
    lease = alice.claim_ok("goal=resize", **worker)
    assert alice.claim("namespace=jobs", **{"X-Worker-ID": "cpu-1"}).status_code == 204
    assert bob.claim(**{"X-Worker-ID": "bob-w"}).status_code == 204
    assert alice.claim().status_code == 204  # no X-Worker-ID: not registered

    listed = alice.get("/workers")

    assert listed.status_code == 200, listed.text
    workers = {w["worker_id"]: w for w in listed.json()["workers"]}
    assert set(workers) == {"gpu-1", "cpu-1"}
    gpu = workers["gpu-1"]
    assert gpu["state"] == "live" and gpu["owner"] == "alice"
    assert gpu["capabilities"] == ["cuda", "gpu"]
    assert gpu["goals"] == ["resize"] and gpu["namespaces"] == ["default"]
    assert gpu["in_flight"] == 1 and gpu["client_version"] == "2.1"
    assert workers["cpu-1"]["namespaces"] == ["jobs"]
    assert workers["cpu-1"]["in_flight"] == 0
    assert workers["cpu-1"]["client_version"].startswith("python-httpx")
    assert set(gpu) == {
        "worker_id",
        "owner",
        "state",
        "capabilities",
        "goals",
        "namespaces",
        "in_flight",
        "last_seen",
        "client_version",
    }
    assert gpu["state"] in protocol.WORKER_STATES
    alice.post(f"/fulfill/{lease['id']}", {"claim_token": lease["claim_token"]})

    everyone = {w["worker_id"] for w in admin.get("/workers").json()["workers"]}
    assert everyone >= {"gpu-1", "cpu-1", "bob-w"}
    only_bob = admin.get("/workers?owner=bob").json()["workers"]
    assert [w["worker_id"] for w in only_bob] == ["bob-w"]
    refused = alice.get("/workers?owner=bob")
    assert refused.status_code == 403 and error_code(refused) == "forbidden"


def test_a_lease_extension_keeps_its_worker_seen(tenant: Api) -> None:
    tenant.publish(goal="render")
    worker = {"X-Worker-ID": "long-job", "X-Worker-Capabilities": "gpu"}
    lease = tenant.claim_ok("goal=render", **worker)
    [claimed] = tenant.get("/workers").json()["workers"]
    time.sleep(0.05)

    extended = tenant.post(
        f"/extend_claim/{lease['id']}", {"claim_token": lease["claim_token"]}
    )

    assert extended.status_code == 200, extended.text
    # The claim's sighting was written moments ago; the throttle writes the
    # extension's (a sighting of its own: capabilities unsaid) at once.
    [seen] = tenant.get("/workers").json()["workers"]
    assert seen["worker_id"] == "long-job"
    assert seen["last_seen"] > claimed["last_seen"]
    assert seen["capabilities"] == ["gpu"]


def test_a_waiting_long_poll_counts_as_live(tenant: Api) -> None:
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            tenant.claim("wait=3", **{"X-Worker-ID": "patient"})
        ),
        daemon=True,
    )
    waiting.start()
    time.sleep(1.0)

    during = tenant.get("/workers").json()["workers"]

    assert [(w["worker_id"], w["state"]) for w in during] == [("patient", "live")]
    waiting.join(10)
    assert answers and answers[0].status_code == 204
