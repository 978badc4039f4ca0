"""Every string a user supplied (goal, payload, error, worker id, key owner)
shows as characters on every page; no markup in it becomes an element and no
script runs (the console fixture fails a test on any dialog or script error)."""

from __future__ import annotations

import httpx

from tests.browser.bus import claim, kill, publish
from tests.browser.conftest import Console
from tests.harness import ServerHandle

XSS = "<img src=x onerror=alert(1)>"


def assert_text_only(console: Console) -> None:
    assert console.page.locator("img").count() == 0
    assert console.dialogs == []


def test_user_strings_stay_text(console: Console, ui_server: ServerHandle) -> None:
    """Goal, error and key owner holding markup show as characters; no script
    runs (the fixture fails the test on any dialog) and no element appears."""
    key = ui_server.create_tenant(XSS)
    intent_id = kill(ui_server, key, XSS, XSS)
    console.login(ui_server.admin_key)
    page = console.page
    console.go(f"#/intent/{intent_id}")
    page.wait_for_selector(".facts .badge-dead")
    assert page.text_content(".facts .error-text") == XSS
    assert XSS in (page.text_content(".facts") or "")
    console.go("#/dead")
    page.wait_for_selector(".dead-group")
    assert page.locator(".dead-group pre", has_text=XSS).count() == 1
    console.go("#/keys")
    page.wait_for_selector("table")
    assert page.locator("td", has_text=XSS).count() >= 1
    page.wait_for_timeout(300)
    assert_text_only(console)


def test_markup_stays_text_on_every_page(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant(f"{XSS} #2")  # a tenant of its own
    headers = {"X-API-KEY": key}
    # Payload, goal, worker id and error all hold markup; the intent fails
    # once and stays open, its goal paused.
    intent_id = publish(ui_server, key, XSS, {XSS: XSS}, max_attempts=3)
    claimed = claim(ui_server, key, XSS, worker=XSS, capabilities=XSS)
    httpx.post(
        f"{ui_server.url}/fail/{intent_id}",
        json={"claim_token": claimed["claim_token"], "error": XSS},
        headers=headers,
    ).raise_for_status()
    httpx.post(
        f"{ui_server.url}/pause",
        json={"namespace": "default", "goal": XSS},
        headers=headers,
    ).raise_for_status()
    console.login(key)
    page = console.page

    console.go(f"#/intent/{intent_id}")
    console.settled("intent")
    assert f'"{XSS}": "{XSS}"' in (page.text_content("pre.json") or "")
    assert page.locator(".facts dd", has_text=XSS).count() >= 3  # goal, owner, worker
    assert page.text_content(".event-claimed .mono") == XSS
    assert page.text_content(".event-failed .error-text") == XSS
    assert page.locator(".reason-paused code", has_text=XSS).count() == 1

    console.go("#/intents")
    console.settled("intents")
    row = page.locator("tbody tr", has_text=intent_id[:12])
    assert row.locator("td[data-label=goal]").text_content() == XSS
    assert row.locator("td[data-label=worker]").text_content() == XSS
    assert row.locator("td[data-label=error]").text_content() == XSS

    console.go("#/overview")
    console.settled("overview")
    assert page.locator("tr.paused td[data-label=goal] a").text_content() == XSS

    console.go("#/workers")
    console.settled("workers")
    assert page.locator("td[data-label=worker]").text_content() == XSS
    assert page.locator(".tag", has_text=XSS).count() == 2  # capability, goal

    console.go("#/pauses")
    console.settled("pauses")
    assert page.locator("td[data-label=goal]").text_content() == XSS

    kill(ui_server, key, "convert", XSS)
    console.go("#/dead")
    console.settled("dead")
    assert page.locator(".dead-group pre").text_content() == XSS
    page.wait_for_timeout(300)
    assert_text_only(console)
