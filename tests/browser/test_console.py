"""The console as a user clicks through it, in Chromium, against a real server."""

from __future__ import annotations

import secrets

import httpx

from tests.browser.bus import claim, fulfill, kill, publish, status
from tests.browser.conftest import Console
from tests.harness import ServerHandle

XSS = "<img src=x onerror=alert(1)>"


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def test_admin_logs_in_sees_admin_pages_and_logs_out(
    console: Console, ui_server: ServerHandle
) -> None:
    console.login(ui_server.admin_key)
    page = console.page
    assert page.text_content(".who .role") == "admin"
    assert page.is_visible("nav >> text=Keys")
    assert ui_server.admin_key not in page.url
    assert ui_server.admin_key not in page.content()
    page.click("#logout")
    page.wait_for_selector("#api-key")
    assert page.evaluate("sessionStorage.length") == 0
    assert not page.is_visible("nav >> text=Keys")


def test_a_wrong_key_is_refused_with_a_message(console: Console) -> None:
    console.allow(401, "/admin/keys")
    console.open()
    console.page.fill("#api-key", "tk_not_a_key")
    console.page.click("button[type=submit]")
    console.page.wait_for_selector("text=This key was not accepted")
    assert console.page.evaluate("sessionStorage.length") == 0


def test_tenant_sees_no_admin_pages_and_the_api_refuses_them(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    console.login(key)
    page = console.page
    assert page.text_content(".who .role") == "tenant"
    assert not page.is_visible("nav >> text=Keys")
    console.go("#/keys")
    page.wait_for_selector("text=This page needs an admin key.")
    # Forced through the API with the same key, the admin actions are refused.
    headers = {"X-API-KEY": key}
    assert httpx.get(f"{ui_server.url}/admin/keys", headers=headers).status_code == 403
    created = httpx.post(
        f"{ui_server.url}/admin/keys", json={"owner": "x"}, headers=headers
    )
    assert created.status_code == 403
    assert httpx.get(f"{ui_server.url}/admin/dead", headers=headers).status_code == 403


def test_published_intent_appears_on_its_page_and_follows_it_live(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("resize")
    intent_id = publish(ui_server, key, goal, {"width": 64})
    console.login(key)
    console.go(f"#/intent/{intent_id}")
    page = console.page
    page.wait_for_selector(".facts .badge-open")
    assert page.is_visible(f".facts >> text={goal}")
    # GET /explain in words: no worker of this goal has ever polled.
    reason = page.text_content(".reasons .reason-no_live_worker") or ""
    assert f"no worker has polled goal {goal}" in reason
    assert "none ever has" in reason
    assert page.is_visible(".timeline >> text=Published")
    claimed = claim(ui_server, key, goal, worker="w1")
    fulfill(ui_server, key, claimed, {"thumb": "t.png"})
    # The page refreshes by itself and shows the result as JSON.
    page.wait_for_selector(".facts .badge-fulfilled", timeout=12_000)
    result = page.locator("section", has=page.locator("h2", has_text="Result"))
    assert '"thumb": "t.png"' in (result.locator("pre.json").text_content() or "")
    assert page.is_visible(".timeline >> text=Fulfilled")
    assert page.text_content(".timeline .event-claimed .mono") == "w1"
    assert page.text_content(".reasons li") == "Fulfilled: a worker completed it."


def test_admin_requeues_a_dead_intent_from_its_page(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    intent_id = kill(ui_server, key, unique("ocr"), "tesseract crashed")
    console.login(ui_server.admin_key)
    console.go(f"#/intent/{intent_id}")
    page = console.page
    page.wait_for_selector("text=Dead after 1 attempt: tesseract crashed.")
    assert page.text_content(".reasons .reason-dead .error-text") == "tesseract crashed"
    page.click("text=Requeue")
    page.click(".confirm >> text=Yes")
    page.wait_for_selector("text=Requeued: the intent is open again.")
    page.wait_for_selector(".facts .badge-open")
    assert status(ui_server, key, intent_id)["status"] == "open"


def test_a_tenant_cannot_open_another_tenants_intent(
    console: Console, ui_server: ServerHandle
) -> None:
    owner_key = ui_server.create_tenant()
    intent_id = publish(ui_server, owner_key, unique("secret"), {"card": "4111"})
    console.allow(404, f"/intents/{intent_id}")
    console.login(ui_server.create_tenant())
    console.go(f"#/intent/{intent_id}")
    console.page.wait_for_selector("text=No intent with this id is visible")
    assert "4111" not in console.page.content()
    assert console.page.locator(".facts").count() == 0


def test_admin_creates_lists_and_revokes_a_key(
    console: Console, ui_server: ServerHandle
) -> None:
    owner = unique("acme")
    console.login(ui_server.admin_key)
    page = console.page
    console.go("#/keys")
    page.fill("#k-owner", owner)
    page.click("text=Create key")
    secret = page.text_content("#new-key")
    console.shot("desktop-keys-new-secret")
    assert secret and secret.startswith("tk_")
    probe = f"{ui_server.url}/status/nothing-here"
    assert httpx.get(probe, headers={"X-API-KEY": secret}).status_code == 404
    row = page.locator("tr", has_text=owner)
    assert row.locator("text=active").count() == 1
    # Shown once: it is in no list, and gone after dismissing.
    assert page.locator("table", has_text=secret).count() == 0
    page.click("text=I have saved it")
    assert secret not in page.content()
    row.locator("text=Revoke").click()
    row.locator("button", has_text="Yes").click()
    page.wait_for_selector("text=Revoked")
    assert page.locator("tr.revoked", has_text=owner).count() == 1
    assert httpx.get(probe, headers={"X-API-KEY": secret}).status_code == 401


def test_dead_letters_requeue_all_of_one_error_after_a_count_check(
    console: Console, ui_server: ServerHandle
) -> None:
    key = ui_server.create_tenant()
    goal = unique("convert")
    error = unique("disk full")
    other = unique("timeout")
    ids = [kill(ui_server, key, goal, error) for _ in range(3)]
    survivor = kill(ui_server, key, goal, other)
    console.login(ui_server.admin_key)
    page = console.page
    console.go("#/dead")
    group = page.locator(".dead-group", has_text=error)
    assert group.locator(".group-count").text_content() == "3 intents"
    # One more dies after the page was drawn: the count check notices.
    ids.append(kill(ui_server, key, goal, error))
    group.locator("text=Requeue all 3").click()
    question = group.locator(".confirm-q")
    assert "now counts 4 dead intents" in (question.text_content() or "")
    group.locator("button", has_text="Yes").click()
    page.wait_for_selector("text=Requeued 4 intents.")
    for intent_id in ids:
        assert status(ui_server, key, intent_id)["status"] == "open"
    assert status(ui_server, key, survivor)["status"] == "dead"
    assert page.locator(".dead-group", has_text=error).count() == 0
    assert page.locator(".dead-group", has_text=other).count() == 1
    # The bulk endpoint, counted by a dry run first, the key in its header.
    bulk = console.to("POST", "/intents/requeue")
    assert [s.body for s in bulk] == [
        {"error_contains": error, "dry_run": True},
        {"error_contains": error, "dry_run": False},
    ]
    assert all(s.headers["x-api-key"] == ui_server.admin_key for s in bulk)
    assert [s for s in console.sent if s.path.startswith("/requeue/")] == []
