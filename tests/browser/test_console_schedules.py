"""The Schedules page, clicked in Chromium against a real server: create a
schedule, see its next and last tick, edit, pause, run and delete it, the
server's own message for a bad cron, and whose schedules each key sees, each
checked against what the API itself says."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from tests.browser.bus import get, http
from tests.browser.conftest import PHONE, Console
from tests.harness import ServerHandle


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def put_schedule(
    server: ServerHandle, key: str, name: str, **body: Any
) -> dict[str, Any]:
    response = http.put(
        f"{server.url}/schedules/{name}", json=body, headers={"X-API-KEY": key}
    )
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    return view


def schedules(server: ServerHandle, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(server, key, "/schedules")["schedules"]
    return found


def test_create_a_schedule_see_its_ticks_run_pause_and_delete_it(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    name, goal = unique("nightly"), unique("report")
    console.login(key)
    console.go("#/schedules")
    console.settled("schedules")
    page = console.page
    page.wait_for_selector("text=No schedules yet")
    page.fill("#s-name", name)
    page.fill("#s-cron", "30 2 * * *")
    page.fill("#s-timezone", "Europe/Berlin")
    page.fill("#s-goal", goal)
    page.fill("#s-namespace", "reports")
    page.fill("#s-payload", '{"full": true}')
    page.select_option("#s-overlap", "skip")
    page.click("button:has-text('Save schedule')")
    page.wait_for_selector(f"text=Created schedule {name}: its next tick is")
    [stored] = schedules(ui_server, key)
    assert (stored["name"], stored["cron"], stored["timezone"]) == (
        name,
        "30 2 * * *",
        "Europe/Berlin",
    )
    assert stored["intent"]["goal"] == goal
    assert stored["intent"]["namespace"] == "reports"
    assert stored["intent"]["payload"] == {"full": True}
    assert (stored["overlap"], stored["catch_up"], stored["paused"]) == (
        "skip",
        "latest",
        False,
    )
    row = page.locator("tr", has_text=name)
    assert "30 2 * * *" in (row.locator("td[data-label=cron]").text_content() or "")
    assert (
        f"{goal} in reports" == row.locator("td[data-label=publishes]").text_content()
    )
    next_tick = row.locator("td[data-label='next tick'] time")
    assert next_tick.get_attribute("datetime")  # a time, shown relative
    assert row.locator("td[data-label='last tick']").text_content() == "never"
    assert page.input_value("#s-name") == ""  # the form is ready for the next one

    # Run now publishes one tick: the last tick then links to its intent.
    row.locator("text=Run now").click()
    row.locator("text=Yes").click()
    page.wait_for_selector(f"text=for {name} now.")
    [stored] = schedules(ui_server, key)
    assert stored["last_intent_id"]
    link = row.locator("td[data-label='last tick'] a")
    assert link.get_attribute("href") == f"#/intent/{stored['last_intent_id']}"
    console.shot("schedules-created")
    link.click()
    console.settled("intent")
    by = page.locator(".fact", has_text="By schedule")
    assert by.locator("a").text_content() == name
    assert by.locator("a").get_attribute("href") == "#/schedules"
    console.shot("intent-by-schedule")
    by.locator("a").click()
    console.settled("schedules")

    row.locator("button:has-text('Pause')").click()
    page.wait_for_selector(f"text=Paused {name}.")
    assert schedules(ui_server, key)[0]["paused"] is True
    assert row.locator(".badge-paused").count() == 1
    row.locator("button:has-text('Resume')").click()
    page.wait_for_selector(f"text=Resumed {name}")
    [stored] = schedules(ui_server, key)
    assert stored["paused"] is False and stored["next_fire_at"] is not None

    row.locator("text=Delete").click()
    row.locator("text=Yes").click()
    page.wait_for_selector(f"text=Deleted schedule {name}.")
    assert schedules(ui_server, key) == []
    page.wait_for_selector("text=No schedules yet")
    assert all("owner" not in s.query for s in console.sent)


def test_editing_changes_the_cron_and_keeps_the_publish_settings(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    name = unique("sweep")
    put_schedule(
        ui_server,
        key,
        name,
        cron="0 * * * *",
        intent={"goal": "sweep", "payload": [1, 2], "priority": 7, "max_attempts": 9},
    )
    console.login(key)
    console.go("#/schedules")
    console.settled("schedules")
    page = console.page
    page.locator("tr", has_text=name).locator("text=Edit").click()
    assert page.text_content(".schedule-form h2") == f"Edit schedule {name}"
    assert page.input_value("#s-cron") == "0 * * * *"
    assert page.input_value("#s-goal") == "sweep"
    page.fill("#s-cron", "*/10 * * * *")
    console.shot("schedules-editing")
    page.click("button:has-text('Save schedule')")
    page.wait_for_selector(f"text=Saved schedule {name}")
    [stored] = schedules(ui_server, key)
    assert stored["cron"] == "*/10 * * * *"
    assert stored["intent"]["payload"] == [1, 2]
    assert (stored["intent"]["priority"], stored["intent"]["max_attempts"]) == (7, 9)
    assert page.text_content(".schedule-form h2") == "New schedule"


def test_a_bad_cron_shows_the_servers_message(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    console.allow(400, "/schedules/")
    console.login(key)
    console.go("#/schedules")
    console.settled("schedules")
    page = console.page
    page.fill("#s-name", "broken")
    page.fill("#s-cron", "61 * * * *")
    page.fill("#s-goal", "report")
    page.click("button:has-text('Save schedule')")
    wanted = http.put(
        f"{ui_server.url}/schedules/broken",
        json={"cron": "61 * * * *", "intent": {"goal": "report"}},
        headers={"X-API-KEY": key},
    ).json()["error"]
    assert wanted["message"].startswith("cron: ")
    shown = page.wait_for_selector(".notice-error").text_content()
    assert shown == f"{wanted['message']} ({wanted['code']})"
    assert page.input_value("#s-cron") == "61 * * * *"  # kept, to correct it
    console.shot("schedules-bad-cron")
    page.fill("#s-cron", "0 3 * * *")
    page.fill("#s-payload", "{not json")
    page.click("button:has-text('Save schedule')")
    page.wait_for_selector(".notice-error >> text=payload: not valid JSON")
    assert schedules(ui_server, key) == []


def test_a_tenant_sees_its_own_schedules_and_the_admin_everyones(
    console_factory: Callable[..., Console], ui_server: ServerHandle
) -> None:
    owner = unique("acme")
    theirs = ui_server.create_tenant(owner)
    mine = ui_server.create_tenant()
    their_name, my_name = unique("theirs"), unique("mine")
    put_schedule(ui_server, theirs, their_name, cron="0 4 * * *", intent={"goal": "a"})
    put_schedule(ui_server, mine, my_name, cron="0 5 * * *", intent={"goal": "b"})
    tenant = console_factory(PHONE)
    tenant.login(mine)
    tenant.go("#/schedules")
    tenant.settled("schedules")
    assert tenant.page.locator("tr", has_text=my_name).count() == 1
    assert their_name not in tenant.page.content()
    width = tenant.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    tenant.shot("phone-schedules-tenant")

    admin = console_factory()
    admin.login(ui_server.admin_key)
    admin.go("#/schedules")
    admin.settled("schedules")
    row = admin.page.locator("tr", has_text=their_name)
    assert row.locator("td[data-label=owner]").text_content() == owner
    row.locator("button:has-text('Pause')").click()
    admin.page.wait_for_selector(f"text=Paused {their_name}.")
    [paused] = schedules(ui_server, theirs)
    assert paused["paused"] is True
    row.locator("text=Delete").click()
    row.locator("text=Yes").click()
    admin.page.wait_for_selector(f"text=Deleted schedule {their_name}.")
    assert schedules(ui_server, theirs) == []
    assert [s["name"] for s in schedules(ui_server, mine)] == [my_name]
    for sent in admin.sent:
        if sent.path.startswith("/schedules/"):
            assert sent.query["owner"] == [owner], sent


def test_schedule_goals_and_payloads_stay_text(
    console: Console, ui_server: ServerHandle
) -> None:
    markup = "<img src=x onerror=alert(1)>"
    key = ui_server.create_tenant()
    name = unique("xss")
    put_schedule(
        ui_server,
        key,
        name,
        cron="0 1 * * *",
        intent={"goal": markup, "payload": {"html": markup}},
    )
    console.login(key)
    console.go("#/schedules")
    console.settled("schedules")
    page = console.page
    row = page.locator("tr", has_text=name)
    assert row.locator("td[data-label=publishes]").text_content() == markup
    row.locator("text=Edit").click()
    assert page.input_value("#s-goal") == markup
    assert markup in page.input_value("#s-payload")
    assert page.locator("img").count() == 0
