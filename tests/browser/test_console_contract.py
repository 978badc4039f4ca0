"""The pages built on the control API, against answers shaped as its contract
says (see contract.py), until every server has those endpoints: they render
the documented fields, keep user strings as text, and send the documented
requests with the key in X-API-KEY only."""

from __future__ import annotations

import pytest

from tests.browser.bus import kill, publish
from tests.browser.conftest import Console
from tests.browser.contract import XSS, ControlApi
from tests.harness import ServerHandle


@pytest.fixture
def control(console: Console, ui_server: ServerHandle) -> ControlApi:
    api = ControlApi(ui_server.url)
    api.install(console.page)
    return api


def assert_no_markup_ran(console: Console) -> None:
    assert console.page.locator("img").count() == 0
    assert console.dialogs == []


def test_overview_draws_counts_chart_and_paused_goals(
    console: Console, control: ControlApi, ui_server: ServerHandle
) -> None:
    console.login(ui_server.admin_key)
    page = console.page
    page.wait_for_selector(".tiles")
    assert page.text_content(".tile-open .tile-n") == "52"
    assert page.text_content(".tile-fulfilled .tile-n") == "901"
    assert page.locator("svg.chart rect").count() == 60
    paused = page.locator("tr.paused")
    assert paused.count() == 1
    assert "transcode" in (paused.text_content() or "")
    assert page.locator("td", has_text="2 h 1 min").count() == 1
    assert page.locator("td", has_text=XSS).count() >= 2
    assert_no_markup_ran(console)


def test_intents_search_sends_the_filters_and_pages_by_cursor_live(
    console: Console, control: ControlApi, ui_server: ServerHandle
) -> None:
    console.login(ui_server.create_tenant())
    console.go("#/intents")
    page = console.page
    page.wait_for_selector("table")
    page.check("label.chip-dead input")
    page.fill("#f-goal", "thumbnail")
    page.click("text=Search")
    page.wait_for_function("location.hash.includes('goal=thumbnail')")
    page.wait_for_selector("table")
    last = control.to("GET", "/intents")[-1]
    assert last.query["status"] == ["dead"]
    assert last.query["goal"] == ["thumbnail"]
    assert page.locator("td", has_text=XSS).count() >= 2
    page.click("text=Older →")
    page.wait_for_function("location.hash.includes('cursor=cursor-2')")
    page.wait_for_selector("text=← Newest")
    assert control.to("GET", "/intents")[-1].query["cursor"] == ["cursor-2"]
    # The live refresh re-reads the same page and leaves the form alone.
    page.fill("#f-worker", "half-typed")
    requests = len(control.to("GET", "/intents"))
    for _ in range(80):  # the refresh runs every 5 s
        if len(control.to("GET", "/intents")) > requests:
            break
        page.wait_for_timeout(100)
    assert len(control.to("GET", "/intents")) > requests
    assert control.to("GET", "/intents")[-1].query["cursor"] == ["cursor-2"]
    assert page.input_value("#f-worker") == "half-typed"
    assert_no_markup_ran(console)


def test_intent_page_shows_payload_timeline_explanation_and_cancels(
    console: Console, control: ControlApi, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    intent_id = publish(ui_server, key, "thumbnail", {"w": 1})
    console.login(key)
    console.go(f"#/intent/{intent_id}")
    page = console.page
    page.wait_for_selector(".timeline")
    assert XSS in (page.text_content("pre.json") or "")
    assert page.is_visible("text=no worker with capability `gpu` has polled in 2 h")
    assert page.locator(".reasons li", has_text=XSS).count() == 1
    assert page.locator(".event", has_text="Lease expired").count() == 1
    assert page.locator(".event .error-text", has_text=XSS).count() == 1
    page.click("text=Cancel intent")
    page.click(".confirm >> text=Yes")
    page.wait_for_selector("text=Cancelled (a claimed intent")
    [cancel] = control.to("POST", f"/cancel/{intent_id}")
    assert cancel.headers["x-api-key"] == key
    assert all(key not in s.path and key not in str(s.query) for s in control.sent)
    assert_no_markup_ran(console)


def test_workers_and_pauses_pages_show_and_steer(
    console: Console, control: ControlApi, ui_server: ServerHandle
) -> None:
    console.login(ui_server.create_tenant())
    console.go("#/workers")
    page = console.page
    page.wait_for_selector("table")
    assert page.locator("tr.worker-live", has_text="node-01").count() == 1
    assert page.locator("tr.worker-gone td", has_text=XSS).count() >= 1
    assert page.is_visible("text=1 live · 1 idle · 1 gone")
    console.go("#/pauses")
    page.wait_for_selector("table")
    page.fill("#p-namespace", "media")
    page.fill("#p-goal", "thumbnail")
    page.click("button:has-text('Pause')")
    page.wait_for_selector("text=Paused goal thumbnail in media.")
    assert control.to("POST", "/pause")[0].body == {
        "namespace": "media",
        "goal": "thumbnail",
    }
    row = page.locator("tr", has_text="transcode")
    row.locator("text=Resume").click()
    row.locator("text=Yes").click()
    page.wait_for_selector("text=Resumed.")
    assert control.to("POST", "/resume")[0].body == {
        "namespace": "media",
        "goal": "transcode",
    }
    assert_no_markup_ran(console)


def test_dead_letters_use_the_bulk_requeue_with_a_dry_run_when_served(
    console: Console, control: ControlApi, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    error = f"bulk-{key[-6:]}"
    for _ in range(2):
        kill(ui_server, key, "convert", error)
    console.login(ui_server.admin_key)
    console.go("#/dead")
    group = console.page.locator(".dead-group", has_text=error)
    group.locator("text=Requeue all 2").click()
    assert (
        group.locator(".confirm-q").text_content()
        == "Requeue 2 intents with this error?"
    )
    group.locator("text=Yes").click()
    console.page.wait_for_selector("text=Requeued 2 intents.")
    bodies = [s.body for s in control.to("POST", "/intents/requeue")]
    assert bodies == [
        {"error_contains": error, "dry_run": True},
        {"error_contains": error, "dry_run": False},
    ]
