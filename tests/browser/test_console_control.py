"""The console's pages on the control API, clicked in Chromium against a real
server: search, the intent's timeline and explanation, cancel, pauses,
workers and the overview, each checked against what the API itself says."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.browser.bus import claim, fulfill, get, kill, publish, status
from tests.browser.conftest import Console
from tests.harness import ServerHandle


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def test_published_intent_appears_in_the_list_within_seconds(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    console.login(key)
    console.go("#/intents")
    console.settled("intents")
    goal = unique("appear")
    intent_id = publish(ui_server, key, goal, {"n": 1})
    row = console.page.locator("tr", has_text=goal)
    # The live refresh runs every 5 s: two of them, and the drawing, under CI's load.
    row.wait_for(timeout=12_000)
    assert intent_id[:12] in (row.text_content() or "")
    assert all(s.query["limit"] == ["50"] for s in console.to("GET", "/intents"))


def test_a_tenants_pages_show_only_its_own_intents(
    console: Console, ui_server: ServerHandle
) -> None:
    other = ui_server.create_tenant()
    secret_goal = unique("private-goal")
    secret_error = unique("their-error")
    kill(ui_server, other, secret_goal, secret_error)
    theirs = publish(ui_server, other, secret_goal, {"secret": 1})
    mine = ui_server.create_tenant()
    own = publish(ui_server, mine, unique("my-goal"), {"n": 1})
    console.login(mine)
    for fragment in ("intents", "overview", "dead", "workers"):
        console.go(f"#/{fragment}")
        console.settled(fragment)
        assert secret_goal not in console.page.content(), fragment
        assert secret_error not in console.page.content(), fragment
        assert theirs[:12] not in console.page.content(), fragment
    console.go("#/intents")
    console.settled("intents")
    assert console.page.locator("tr", has_text=own[:12]).count() == 1


def test_open_intent_shows_timeline_and_explanation_and_cancels(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("never-claimed")
    intent_id = publish(ui_server, key, goal, {"n": 1})
    console.login(key)
    console.go(f"#/intent/{intent_id}")
    page = console.page
    console.settled("intent")
    assert page.locator(".event-published").count() == 1
    assert page.locator(".reasons .reason-no_live_worker").count() == 1
    assert page.is_visible('pre.json >> text="n": 1')
    page.click("text=Cancel intent")
    page.click(".confirm >> text=Yes")
    page.wait_for_selector(".facts .badge-cancelled")
    assert status(ui_server, key, intent_id)["status"] == "cancelled"
    assert page.locator(".event-cancelled").count() == 1
    assert page.text_content(".reasons li") == (
        "Cancelled: it will not run. Requeue it to run it again."
    )
    # A cancelled intent can be requeued from the same page.
    assert page.locator("button", has_text="Requeue").count() == 1


def test_cancelling_a_claimed_intent_asks_its_worker_to_stop(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("long-job")
    intent_id = publish(ui_server, key, goal, {"n": 1})
    claim(ui_server, key, goal, worker="node-7")
    console.login(key)
    console.go(f"#/intent/{intent_id}")
    page = console.page
    console.settled("intent")
    assert "node-7" in (page.text_content(".reasons .reason-claimed") or "")
    page.click("text=Cancel intent")
    page.click(".confirm >> text=Yes")
    page.wait_for_selector("text=Cancel requested: the intent ends cancelled")
    page.wait_for_selector(".facts >> text=cancel requested")
    detail = get(ui_server, key, f"/intents/{intent_id}")
    assert (detail["status"], detail["cancel_requested"]) == ("claimed", True)
    assert page.locator("button", has_text="Cancel intent").count() == 0


def test_intents_search_filters_pages_and_refreshes_in_place(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("bulk")
    for n in range(53):
        publish(ui_server, key, goal, {"n": n})
    dead = kill(ui_server, key, unique("other"), "boom")
    console.login(key)
    console.go("#/intents")
    page = console.page
    console.settled("intents")
    page.check("label.chip-dead input")
    page.click("text=Search")
    page.wait_for_function("location.hash.includes('status=dead')")
    console.settled("intents")
    _rows_drawn(page, 1)
    assert page.locator("tbody tr", has_text=dead[:12]).count() == 1
    page.click("text=Clear")
    page.wait_for_function("!location.hash.includes('status=')")
    console.settled("intents")
    page.fill("#f-goal", goal)
    page.click("text=Search")
    # Settled is only about the new search once the route has changed.
    page.wait_for_function("location.hash.includes('goal=')")
    console.settled("intents")
    _rows_drawn(page, 50)
    page.click("text=Older →")
    page.wait_for_function("location.hash.includes('cursor=')")
    console.settled("intents")
    _rows_drawn(page, 3)
    assert page.is_visible("text=← Newest")
    [older] = [s for s in console.to("GET", "/intents") if "cursor" in s.query]
    assert older.query["goal"] == [goal]
    # The live refresh re-reads the same page and leaves the form alone.
    page.fill("#f-worker", "half-typed")
    before = len(console.to("GET", "/intents"))
    for _ in range(80):  # the refresh runs every 5 s
        if len(console.to("GET", "/intents")) > before:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # let the answer be drawn
    assert console.to("GET", "/intents")[-1].query["cursor"] == older.query["cursor"]
    assert page.input_value("#f-worker") == "half-typed"
    assert page.locator("tbody tr").count() == 3


def _rows_drawn(page: Any, count: int) -> None:
    """Waits for the results table to hold `count` rows: under load the settled
    mark of the page being replaced can still be the one seen first."""
    page.wait_for_function(
        "n => document.querySelectorAll('tbody tr').length === n", arg=count
    )
    assert page.locator("tbody tr").count() == count


def test_pause_and_resume_from_the_pauses_page(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("thumbnail")
    console.login(key)
    console.go("#/pauses")
    page = console.page
    console.settled("pauses")
    page.fill("#p-namespace", "media")
    page.fill("#p-goal", goal)
    page.click("button:has-text('Pause')")
    page.wait_for_selector(f"text=Paused goal {goal} in media.")
    [pause] = get(ui_server, key, "/pauses")["pauses"]
    assert (pause["namespace"], pause["goal"]) == ("media", goal)
    row = page.locator("tr", has_text=goal)
    assert row.count() == 1
    row.locator("text=Resume").click()
    row.locator("text=Yes").click()
    page.wait_for_selector("text=Resumed.")
    assert get(ui_server, key, "/pauses")["pauses"] == []
    page.wait_for_selector("text=Nothing is paused")


def test_workers_page_shows_a_worker_that_polled(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("render")
    publish(ui_server, key, goal, {"frame": 1})
    claim(ui_server, key, goal, worker="node-01", capabilities="gpu,ffmpeg")
    console.login(key)
    console.go("#/workers")
    console.settled("workers")
    page = console.page
    row = page.locator("tr.worker-live", has_text="node-01")
    assert row.count() == 1
    assert row.locator("td[data-label='in flight']").text_content() == "1"
    assert row.locator(".tag", has_text="gpu").count() == 1
    assert row.locator(".tag", has_text=goal).count() == 1
    assert page.is_visible("text=1 live · 0 idle · 0 gone")
    [worker] = get(ui_server, key, "/workers")["workers"]
    assert (worker["worker_id"], worker["state"]) == ("node-01", "live")


def test_overview_shows_counts_chart_and_paused_goals(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("thumbnail")
    for n in range(3):
        publish(ui_server, key, goal, {"n": n})
    fulfill(ui_server, key, claim(ui_server, key, goal), {"ok": True})
    kill(ui_server, key, unique("transcode"), "codec")
    paused = unique("paused")
    publish(ui_server, key, paused, {})
    httpx.post(
        f"{ui_server.url}/pause",
        json={"namespace": "default", "goal": paused},
        headers={"X-API-KEY": key},
    ).raise_for_status()
    console.login(key)
    console.settled("overview")
    page = console.page
    tiles = {
        s: page.text_content(f".tile-{s} .tile-n")
        for s in ("open", "claimed", "fulfilled", "dead", "cancelled")
    }
    assert tiles == {
        "open": "3",
        "claimed": "0",
        "fulfilled": "1",
        "dead": "1",
        "cancelled": "0",
    }
    assert page.locator("svg.chart rect").count() == 60
    assert "1 completion in the last 60 minutes" in (
        page.get_attribute("svg.chart", "aria-label") or ""
    )
    assert page.locator("tr.paused", has_text=paused).count() == 1
    assert page.locator("tr.paused").count() == 1
    row = page.locator("tr", has_text=goal)
    assert row.locator("td[data-label=open]").text_content() == "2"
    stats = get(ui_server, key, "/stats")
    assert len(stats["groups"]) == page.locator("tbody tr").count() == 3
