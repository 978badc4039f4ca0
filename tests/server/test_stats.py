"""GET /stats over real HTTP: groups per namespace and goal with counts, the
oldest open age, completions per minute and the paused flag; per tenant."""

from __future__ import annotations

from collections.abc import Callable

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_stats_groups_counts_ages_completions_and_pauses(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    alice.publish(goal="email")
    alice.publish(goal="email")
    alice.publish(goal="resize", namespace="img")
    lease = alice.claim_ok("namespace=img")
    alice.post(f"/fulfill/{lease['id']}", {"claim_token": lease["claim_token"]})
    alice.post("/pause", {"namespace": "default", "goal": "email"})
    bob.publish(goal="secret")

    response = alice.get("/stats")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"groups", "generated_at"}
    groups = {(g["namespace"], g["goal"]): g for g in body["groups"]}
    assert set(groups) == {("default", "email"), ("img", "resize")}
    email = groups[("default", "email")]
    assert email["owner"] == "alice" and email["paused"] is True
    assert email["counts"] == {**dict.fromkeys(protocol.STATUSES, 0), "open": 2}
    assert 0 <= email["oldest_open_age"] < 60
    assert email["completions_per_minute"] == [0] * 60
    resize = groups[("img", "resize")]
    assert resize["paused"] is False and resize["oldest_open_age"] is None
    assert resize["counts"]["fulfilled"] == 1
    assert resize["completions_per_minute"][-1] == 1

    everyone = admin.get("/stats").json()["groups"]
    assert {g["owner"] for g in everyone} >= {"alice", "bob"}
    only_bob = admin.get("/stats?owner=bob").json()["groups"]
    assert [(g["owner"], g["goal"]) for g in only_bob] == [("bob", "secret")]
    refused = alice.get("/stats?owner=bob")
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
