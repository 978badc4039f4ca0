"""The console against the control API itself: these run as soon as the server
has the endpoints (each test skips, naming the missing endpoint, while the
server answers 404 for it)."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.bus import publish, status
from tests.browser.conftest import Console
from tests.harness import ServerHandle


def require(server: ServerHandle, method: str, path: str) -> None:
    """Skips unless the server routes `method path`: the router's own 404
    says "Not Found", while a routed endpoint names what it did not find."""
    answer = httpx.request(
        method, f"{server.url}{path}", headers={"X-API-KEY": server.admin_key}
    )
    unrouted = answer.status_code == 405 or (
        answer.status_code == 404 and answer.json()["error"]["message"] == "Not Found"
    )
    if unrouted:
        pytest.skip(f"this server has no {method} {path} yet")


def test_published_intent_appears_in_the_list_within_seconds(
    console: Console, ui_server: ServerHandle
) -> None:
    require(ui_server, "GET", "/intents")
    key = ui_server.create_tenant()
    console.login(key)
    console.go("#/intents")
    console.settled("intents")
    goal = f"appear-{key[-6:]}"
    intent_id = publish(ui_server, key, goal, {"n": 1})
    row = console.page.locator("tr", has_text=goal)
    row.wait_for(timeout=8000)  # the live refresh runs every 5 s
    assert intent_id[:12] in (row.text_content() or "")


def test_a_tenants_list_shows_only_its_own_intents(
    console: Console, ui_server: ServerHandle
) -> None:
    require(ui_server, "GET", "/intents")
    other = ui_server.create_tenant()
    theirs = publish(ui_server, other, "private-goal", {"secret": 1})
    mine = ui_server.create_tenant()
    own = publish(ui_server, mine, "my-goal", {"n": 1})
    console.login(mine)
    console.go("#/intents")
    console.settled("intents")
    assert console.page.locator("tr", has_text=own[:12]).count() == 1
    assert theirs[:12] not in console.page.content()


def test_open_intent_shows_timeline_and_explanation_and_cancels(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    intent_id = publish(ui_server, key, "never-claimed", {"n": 1})
    require(ui_server, "GET", f"/intents/{intent_id}/events")
    require(ui_server, "GET", f"/explain/{intent_id}")
    require(ui_server, "POST", f"/cancel/{'0' * 32}")
    console.login(key)
    console.go(f"#/intent/{intent_id}")
    page = console.page
    console.settled("intent")
    assert page.locator(".event-published").count() == 1
    assert page.locator(".reasons li").count() >= 1
    assert page.is_visible('pre.json >> text="n": 1')
    page.click("text=Cancel intent")
    page.click(".confirm >> text=Yes")
    page.wait_for_selector(".facts .badge-cancelled")
    assert status(ui_server, key, intent_id)["status"] == "cancelled"
