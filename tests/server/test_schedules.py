"""Schedules over HTTP: definitions, validation, tenant isolation, and a
seconds schedule firing on a real server."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code

EVERY_FIVE_MINUTES: dict[str, Any] = {
    "cron": "*/5 * * * *",
    "timezone": "Europe/Berlin",
    "intent": {"goal": "report", "payload": {"n": 1}, "priority": 7},
}


def test_put_creates_then_replaces_and_get_shows_next_fire_times(
    tenant: Api,
) -> None:
    created = tenant.put("/schedules/nightly-report", EVERY_FIVE_MINUTES)
    assert created.status_code == 201, created.text
    body = created.json()
    assert tuple(body) == protocol.SCHEDULE_FIELDS
    assert body["intent"]["goal"] == "report" and body["intent"]["priority"] == 7
    assert (body["overlap"], body["catch_up"], body["paused"]) == (
        "allow",
        "latest",
        False,
    )
    times = body["next_fire_times"]
    assert len(times) == protocol.SCHEDULE_NEXT_FIRES
    assert times[0] == body["next_fire_at"] > time.time() - 1
    assert all(b - a == 300 for a, b in itertools.pairwise(times))

    replaced = tenant.put(
        "/schedules/nightly-report",
        {**EVERY_FIVE_MINUTES, "overlap": "skip", "paused": True},
    )
    assert replaced.status_code == 200
    shown = tenant.get("/schedules/nightly-report").json()
    assert shown["overlap"] == "skip" and shown["paused"] is True
    assert shown["next_fire_at"] is None and shown["next_fire_times"] == []
    assert shown["created_at"] == body["created_at"]
    listed = tenant.get("/schedules").json()["schedules"]
    assert [s["name"] for s in listed] == ["nightly-report"]


def test_delete_removes_the_schedule(tenant: Api) -> None:
    tenant.put("/schedules/gone", EVERY_FIVE_MINUTES)
    assert tenant.delete("/schedules/gone").status_code == 204
    assert tenant.get("/schedules/gone").status_code == 404
    again = tenant.delete("/schedules/gone")
    assert again.status_code == 404 and error_code(again) == "not_found"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "* * *"}, "cron"),
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "* * * * * * *"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"overlap": "sometimes"}, "overlap"),
        ({"catch_up": "some"}, "catch_up"),
        ({"intent": {"goal": ""}}, "intent.goal"),
        ({"intent": {"goal": "x", "priority": 5000}}, "intent.priority"),
        ({"intent": None}, "intent"),
    ],
)
def test_bad_schedule_is_400_naming_the_field_and_creates_nothing(
    tenant: Api, change: dict[str, Any], field: str
) -> None:
    response = tenant.put("/schedules/bad", {**EVERY_FIVE_MINUTES, **change})
    assert response.status_code == 400, response.text
    assert error_code(response) == "invalid_request"
    assert field in response.json()["error"]["message"]
    assert tenant.get("/schedules/bad").status_code == 404


@pytest.mark.parametrize("name", [".hidden", "-x", "a b", "x" * 129, "é"])
def test_bad_names_are_400(tenant: Api, name: str) -> None:
    response = tenant.put(f"/schedules/{name}", EVERY_FIVE_MINUTES)
    assert response.status_code == 400 and "name" in response.json()["error"]["message"]
    # No schedule can have such a name: anywhere else it is simply not found.
    assert tenant.get(f"/schedules/{name}").status_code == 404


def test_other_tenants_schedules_are_404_and_absent_from_lists(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    owner = clients(server, server.create_tenant("sched-owner"))
    other = clients(server)
    admin = clients(server, server.admin_key)
    owner.put("/schedules/mine", EVERY_FIVE_MINUTES)

    for response in (
        other.get("/schedules/mine"),
        other.delete("/schedules/mine"),
        other.post("/schedules/mine/trigger"),
    ):
        assert response.status_code == 404 and error_code(response) == "not_found"
    # Naming an owner is for admin keys, as on every control route.
    for response in (
        other.get("/schedules/mine?owner=sched-owner"),
        other.get("/schedules?owner=sched-owner"),
    ):
        assert response.status_code == 403 and error_code(response) == "forbidden"
    assert other.get("/schedules").json() == {"schedules": []}

    assert [s["owner"] for s in admin.get("/schedules").json()["schedules"]] == [
        "sched-owner"
    ]
    seen = admin.get("/schedules/mine?owner=sched-owner")
    assert seen.status_code == 200 and seen.json()["name"] == "mine"
    assert owner.get("/schedules/mine").status_code == 200


def test_trigger_publishes_one_intent_now(tenant: Api) -> None:
    tenant.put("/schedules/manual", {**EVERY_FIVE_MINUTES, "paused": True})

    response = tenant.post("/schedules/manual/trigger")

    assert response.status_code == 201, response.text
    tick = response.json()
    assert tuple(tick) == protocol.TICK_FIELDS
    assert tick["schedule"] == "manual"
    assert tick["scheduled_for"] == pytest.approx(time.time(), abs=5)
    status = tenant.get(f"/status/{tick['intent_id']}").json()
    assert (status["goal"], status["priority"], status["status"]) == (
        "report",
        7,
        "open",
    )
    assert tenant.get("/schedules/manual").json()["last_intent_id"] == tick["intent_id"]
    events = tenant.get(f"/intents/{tick['intent_id']}/events").json()["events"]
    assert events[0]["type"] == "published"
    assert events[0]["detail"].startswith("schedule manual, tick 20")
    origin = tenant.get(f"/explain/{tick['intent_id']}").json()["schedule"]
    assert origin == {"name": "manual", "scheduled_for": tick["scheduled_for"]}
    assert tenant.post("/schedules/nope/trigger").status_code == 404


def test_a_plain_publish_has_no_schedule_in_its_explanation(tenant: Api) -> None:
    intent_id = tenant.post("/intent", {"goal": "plain", "payload": {}}).json()["id"]

    assert tenant.get(f"/explain/{intent_id}").json()["schedule"] is None


def test_a_seconds_schedule_fires_within_seconds(tenant: Api) -> None:
    every_second = {
        "cron": "* * * * * *",
        "intent": {"goal": "tick", "payload": "hi"},
        "overlap": "skip",
    }
    assert tenant.put("/schedules/heartbeat", every_second).status_code == 201

    claimed = tenant.claim_ok("goal=tick&wait=8")

    assert claimed["goal"] == "tick" and claimed["payload"] == "hi"
    shown = tenant.get("/schedules/heartbeat").json()
    assert shown["last_intent_id"] == claimed["id"]
    assert shown["last_scheduled_for"] == int(shown["last_scheduled_for"])
    # overlap skip: nothing more while the claimed one runs
    time.sleep(2.5)
    assert tenant.get("/schedules/heartbeat").json()["last_intent_id"] == claimed["id"]
