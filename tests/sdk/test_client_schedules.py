"""The schedule methods through both clients, against a live server."""

from __future__ import annotations

from typing import Any

import pytest

from intent_bus import IntentBusError, Schedule, ScheduleTick
from intent_bus.sdk.retry import RetryPolicy
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient
from tests.sdk.fakeserver import Reply, fake_server

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, max_total=5)


def test_set_get_list_trigger_delete(client: Any) -> None:
    created = client.set_schedule(
        "nightly",
        "30 2 * * *",
        "report",
        {"full": True},
        timezone="Europe/Berlin",
        overlap="skip",
        priority=9,
    )
    assert isinstance(created, Schedule)
    assert (created.name, created.cron, created.timezone) == (
        "nightly",
        "30 2 * * *",
        "Europe/Berlin",
    )
    assert created.intent["goal"] == "report" and created.intent["priority"] == 9
    assert created.overlap == "skip" and created.catch_up == "latest"
    assert len(created.next_fire_times) == 5

    assert client.get_schedule("nightly") == created
    assert [s.name for s in client.list_schedules()] == ["nightly"]

    tick = client.trigger_schedule("nightly")
    assert isinstance(tick, ScheduleTick) and tick.schedule == "nightly"
    job = client.get_status(tick.intent_id)
    assert (job.goal, job.priority) == ("report", 9)
    assert client.get_schedule("nightly").last_intent_id == tick.intent_id

    assert client.delete_schedule("nightly") is None
    assert client.list_schedules() == []
    with pytest.raises(IntentBusError) as missing:
        client.get_schedule("nightly")
    assert missing.value.status_code == 404


def test_bad_arguments_fail_before_sending(client: Any) -> None:
    with pytest.raises(IntentBusError, match="name"):
        client.set_schedule(".bad", "* * * * *", "g")
    with pytest.raises(IntentBusError, match="overlap"):
        client.set_schedule("ok", "* * * * *", "g", overlap="never")
    with pytest.raises(IntentBusError, match="priority"):
        client.set_schedule("ok", "* * * * *", "g", priority=5000)


def test_bad_cron_is_the_servers_400_naming_the_field(client: Any) -> None:
    with pytest.raises(IntentBusError, match="cron") as bad:
        client.set_schedule("ok", "* * *", "g")
    assert bad.value.status_code == 400
    with pytest.raises(IntentBusError, match="timezone"):
        client.set_schedule("ok", "* * * * *", "g", timezone="Nowhere/City")


def test_admin_sees_a_tenants_schedule_by_owner(
    make_client: MakeClient, sqlite_server: ServerHandle
) -> None:
    tenant = make_client(api_key=sqlite_server.create_tenant("sdk-owner"))
    admin = make_client(api_key=sqlite_server.admin_key)
    tenant.set_schedule("mine", "0 * * * *", "g")

    assert [s.owner for s in admin.list_schedules()] == ["sdk-owner"]
    assert admin.get_schedule("mine", owner="sdk-owner").name == "mine"
    assert admin.trigger_schedule("mine", owner="sdk-owner").owner == "sdk-owner"


def test_trigger_is_not_repeated_after_a_server_error(make_client: MakeClient) -> None:
    error = b'{"error":{"code":"internal_error","message":"x"}}'
    with fake_server(Reply(500, error)) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x", retry=FAST)
        with pytest.raises(IntentBusError):
            client.trigger_schedule("nightly")
        assert len(fake.seen) == 1
