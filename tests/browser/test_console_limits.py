"""The Limits page and the concurrency_limit reason, clicked in Chromium against
a real server: set a limit, see what runs against it, edit and delete it, the
server's own error message for bad input, and an intent held by a limit
explained in words, each checked against what the API itself says."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from tests.browser.bus import claim, get, http, publish
from tests.browser.conftest import PHONE, Console
from tests.harness import ServerHandle


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def set_limit(server: ServerHandle, key: str, goal: str, **limit: object) -> None:
    response = http.put(
        f"{server.url}/limits",
        json={"namespace": "default", "goal": goal, **limit},
        headers={"X-API-KEY": key},
    )
    assert response.status_code == 200, response.text


def test_set_a_limit_see_what_runs_against_it_and_delete_it(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("thumbnail")
    for n in range(3):
        publish(ui_server, key, goal, {"n": n})
    claim(ui_server, key, goal)
    console.login(key)
    console.go("#/limits")
    console.settled("limits")
    page = console.page
    page.wait_for_selector("text=No concurrency limits")
    page.fill("#l-goal", goal)
    page.fill("#l-max-running", "1")
    page.fill("#l-max-per-key", "1")
    page.click("button:has-text('Set limit')")
    page.wait_for_selector(f"text=Limit set: at most 1 of goal {goal} in default")
    [limit] = get(ui_server, key, "/limits")["limits"]
    assert (limit["goal"], limit["max_running"], limit["max_per_key"]) == (goal, 1, 1)
    assert limit["running"] == 1
    row = page.locator("tr", has_text=goal)
    assert row.locator("td.running").text_content() == "full1 of 1"
    assert "Owner" not in (page.text_content("thead") or "")  # a tenant's own
    console.shot("limits-full")

    # Edit fills the form; setting it again replaces the limit.
    row.locator("text=Edit").click()
    assert page.input_value("#l-max-running") == "1"
    page.fill("#l-max-running", "3")
    page.fill("#l-max-per-key", "")
    page.click("button:has-text('Set limit')")
    page.wait_for_selector(f"text=Limit set: at most 3 of goal {goal} in default")
    [limit] = get(ui_server, key, "/limits")["limits"]
    assert (limit["max_running"], limit["max_per_key"]) == (3, None)
    assert row.locator("td.running").text_content() == "1 of 3"

    # The list refreshes its running counts, but not while a question waits.
    row.locator("text=Delete").click()
    claim(ui_server, key, goal)
    page.wait_for_timeout(6000)  # longer than one refresh period
    assert row.locator("text=Delete this limit?").count() == 1
    assert row.locator("td.running").text_content() == "1 of 3"
    row.locator("button", has_text="No").click()
    # The next refresh: 5 s after the last, longer on a busy machine.
    row.locator("td.running", has_text="2 of 3").wait_for(timeout=30000)

    row.locator("text=Delete").click()
    row.locator("text=Yes").click()
    page.wait_for_selector(f"text=Deleted the limit of {goal} in default")
    assert get(ui_server, key, "/limits")["limits"] == []
    page.wait_for_selector("text=No concurrency limits")
    puts = console.to("PUT", "/limits")
    assert [p.body["max_running"] for p in puts] == [1, 3]
    assert all("owner" not in p.body for p in puts)
    [deleted] = console.to("DELETE", "/limits")
    assert deleted.query == {"namespace": ["default"], "goal": [goal]}


def test_a_bad_limit_shows_the_servers_message(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    console.allow(400, "/limits")
    console.login(key)
    console.go("#/limits")
    console.settled("limits")
    page = console.page
    page.fill("#l-goal", "resize")
    page.fill("#l-max-running", "0")
    page.click("button:has-text('Set limit')")
    wanted = http.put(
        f"{ui_server.url}/limits",
        json={"namespace": "default", "goal": "resize", "max_running": 0},
        headers={"X-API-KEY": key},
    ).json()["error"]
    shown = page.wait_for_selector(".notice-error").text_content()
    assert shown == f"{wanted['message']} ({wanted['code']})"
    assert "max_running" in wanted["message"]
    assert get(ui_server, key, "/limits")["limits"] == []


def test_a_tenant_sees_its_own_limits_and_the_admin_everyones(
    console_factory: Callable[..., Console], ui_server: ServerHandle
) -> None:
    owner = unique("acme")
    theirs = ui_server.create_tenant(owner)
    mine = ui_server.create_tenant()
    their_goal, my_goal = unique("their-goal"), unique("my-goal")
    set_limit(ui_server, theirs, their_goal, max_running=2)
    set_limit(ui_server, mine, my_goal, max_running=5)
    tenant = console_factory()
    tenant.login(mine)
    tenant.go("#/limits")
    tenant.settled("limits")
    assert tenant.page.locator("tr", has_text=my_goal).count() == 1
    assert their_goal not in tenant.page.content()

    admin = console_factory()
    admin.login(ui_server.admin_key)
    admin.go("#/limits")
    admin.settled("limits")
    row = admin.page.locator("tr", has_text=their_goal)
    assert owner in (row.locator("td[data-label=owner]").text_content() or "")
    # The admin acts on the tenant that owns the row.
    row.locator("text=Delete").click()
    row.locator("text=Yes").click()
    admin.page.wait_for_selector(f"text=Deleted the limit of {their_goal}")
    assert admin.to("DELETE", "/limits")[0].query["owner"] == [owner]
    assert get(ui_server, theirs, "/limits")["limits"] == []
    assert len(get(ui_server, mine, "/limits")["limits"]) == 1


def test_an_intent_held_by_a_limit_says_so_and_links_to_the_limits(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("render")
    set_limit(ui_server, key, goal, max_running=1)
    publish(ui_server, key, goal, {"n": 1})
    held = publish(ui_server, key, goal, {"n": 2})
    assert claim(ui_server, key, goal)["id"] != held
    explained = get(ui_server, key, f"/explain/{held}")
    assert explained["reasons"][0]["code"] == "concurrency_limit"
    console.login(key)
    console.go(f"#/intent/{held}")
    console.settled("intent")
    page = console.page
    reason = page.locator("li.reason-concurrency_limit")
    assert reason.text_content() == (
        f"Held by a concurrency limit: goal {goal} in namespace default may run"
        " at most 1 at once, and 1 is running. It starts when one ends or when"
        " the limit is raised."
    )
    console.shot("intent-held-by-limit")
    reason.locator("a", has_text="limit").click()
    console.settled("limits")
    assert "1 of 1" in (page.locator("tr", has_text=goal).text_content() or "")


def test_an_intent_held_by_its_concurrency_key_names_the_key(
    console_factory: Callable[..., Console], ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("sync")
    set_limit(ui_server, key, goal, max_running=5, max_per_key=1)
    publish(ui_server, key, goal, {"n": 1}, concurrency_key="customer-7")
    held = publish(ui_server, key, goal, {"n": 2}, concurrency_key="customer-7")
    claim(ui_server, key, goal)
    console = console_factory(PHONE)
    console.login(key)
    console.go(f"#/intent/{held}")
    console.settled("intent")
    text = console.page.locator("li.reason-concurrency_limit").text_content()
    assert text is not None
    assert text.startswith(
        "Held by a concurrency limit: intents with concurrency key customer-7"
        " may run at most 1 at once, and 1 is running."
    )
    console.go("#/limits")
    console.settled("limits")
    width = console.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    console.shot("phone-limits-per-key")


def test_limit_goals_stay_text(console: Console, ui_server: ServerHandle) -> None:
    markup = "<img src=x onerror=alert(1)>"
    key = ui_server.create_tenant()
    set_limit(ui_server, key, markup, max_running=1)
    console.login(key)
    console.go("#/limits")
    console.settled("limits")
    assert console.page.locator("td", has_text=markup).count() == 1
    assert console.page.locator("img").count() == 0
    httpx.delete(
        f"{ui_server.url}/limits",
        params={"namespace": "default", "goal": markup},
        headers={"X-API-KEY": key},
    ).raise_for_status()
