"""/docs and / in Chromium with every other host unreachable: the reference
is all there, styled, and fits a phone and a desktop screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DESKTOP, PHONE, Console
from tests.harness import ServerHandle


def _offline(console: Console) -> list[str]:
    """Aborts (and records) every request that leaves the server's origin."""
    elsewhere: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(console.server.url + "/") or url.startswith("data:"):
            request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()

    console.page.context.route("**/*", route)
    return elsewhere


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_docs_show_every_operation_offline(
    console_factory: Callable[..., Console],
    ui_server: ServerHandle,
    viewport: dict[str, int],
) -> None:
    document = httpx.get(f"{ui_server.url}/openapi.json").json()
    count = sum(len(item) for item in document["paths"].values())
    console = console_factory(viewport)
    elsewhere = _offline(console)
    page = console.page
    page.goto(f"{ui_server.url}/docs")
    assert page.locator("section.operation").count() == count
    claim = page.locator("section.operation", has_text="/claim").first
    assert claim.is_visible()
    assert "wait" in claim.inner_text()
    # The stylesheet applied (same origin, allowed by the CSP): badges are filled.
    background = page.eval_on_selector(
        ".method.post", "e => getComputedStyle(e).backgroundColor"
    )
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    # Readable: nothing wider than the screen, so no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    page.click("nav a[href^='#op-post-'] >> text=/claim")
    assert page.evaluate("location.hash").startswith("#op-post-")
    console.shot(f"docs-{viewport['width']}")
    assert elsewhere == []


def test_root_page_leads_to_the_console_and_the_docs(
    console: Console, ui_server: ServerHandle
) -> None:
    elsewhere = _offline(console)
    page = console.page
    page.goto(f"{ui_server.url}/")
    page.click("text=API reference")
    page.wait_for_selector("section.operation")
    assert page.url == f"{ui_server.url}/docs"
    page.go_back()
    page.click("text=Web console")
    page.wait_for_selector("#api-key")
    console.shot("root")
    assert elsewhere == []
