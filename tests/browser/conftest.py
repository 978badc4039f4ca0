"""Browser tests of the web console: Chromium from the distribution, driven by
Playwright for Python, against a real server on 127.0.0.1.

One browser and one server per session keep the suite fast; every test gets a
fresh browser context (so a fresh sessionStorage) and its own tenants.
Locally the tests skip when Chromium or Playwright is missing; in CI (``CI``
set) that is a failure, like PostgreSQL tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server

CHROMIUM = os.environ.get("INTENT_BUS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("INTENT_BUS_SCREENSHOTS", Path(__file__).parent / "screenshots")
)
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: browser tests may not be skipped in CI")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope, not session: Playwright's sync API keeps an event loop
    # running in this thread while it is open, and the async tests that run after
    # the browser package need the thread's loop slot free.
    if not Path(CHROMIUM).exists():
        _unavailable(
            f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(
            "browser tests need Playwright for Python (pip install playwright)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """One server for all browser tests; tests isolate by tenant."""
    db = tmp_path_factory.mktemp("ui") / "bus.db"
    with running_server(Settings(db_url=f"sqlite:///{db}")) as handle:
        yield handle


@dataclass(frozen=True)
class Sent:
    """One request the console sent to the API (observed, not altered)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


class Console:
    """A browser tab on the console, recording what would count as a bug."""

    def __init__(self, page: Any, server: ServerHandle) -> None:
        self.page = page
        self.server = server
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        # The role probe: GET /admin/keys is 403 for tenant keys.
        self.expected: list[tuple[int, str]] = [(403, "/admin/keys")]
        # Every API request the page sent, to check what each page asks for.
        self.sent: list[Sent] = []
        page.on("console", self._on_console)
        page.on("request", self._on_request)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("dialog", self._on_dialog)

    def allow(self, status: int, path_prefix: str) -> None:
        """An HTTP error this test provokes on purpose (Chromium logs every
        failed fetch as a console error, even one the page handles)."""
        self.expected.append((status, path_prefix))

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        path = url.removeprefix(self.server.url).split("?")[0]
        for status, prefix in self.expected:
            if f"status of {status} " in message.text and path.startswith(prefix):
                return
        self.errors.append(f"console: {message.text} ({url})")

    def _on_request(self, request: Any) -> None:
        url = urlsplit(request.url)
        if not url.path.startswith("/ui"):
            body = json.loads(request.post_data) if request.post_data else None
            self.sent.append(
                Sent(
                    request.method, url.path, parse_qs(url.query), body, request.headers
                )
            )

    def to(self, method: str, path: str) -> list[Sent]:
        """The requests sent to exactly `method path`."""
        return [s for s in self.sent if s.method == method and s.path == path]

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, fragment: str = "") -> None:
        self.page.goto(f"{self.server.url}/ui{fragment}")

    def login(self, key: str) -> None:
        self.open()
        self.page.fill("#api-key", key)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector("#logout")

    def go(self, fragment: str) -> None:
        self.page.evaluate("fragment => { location.hash = fragment }", fragment)

    def settled(self, page_name: str) -> None:
        """Waits until the page's first drawing is done."""
        self.page.wait_for_selector(f".page-{page_name}[aria-busy=false]")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def console_factory(
    browser: Any, ui_server: ServerHandle, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Console]]:
    """Opens browser tabs (fresh contexts); after the test, asserts none saw a
    script error, an unexpected console error or a dialog."""
    made: list[tuple[Any, Console]] = []

    def make(
        viewport: dict[str, int] = DESKTOP, server: ServerHandle | None = None
    ) -> Console:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(10_000)
        console = Console(context.new_page(), server or ui_server)
        made.append((context, console))
        return console

    yield make
    failed = getattr(request.node, "rep_call", None)
    for index, (context, console) in enumerate(made):
        if failed is not None and failed.failed:
            console.shot(f"failed-{request.node.name}-{index}")
        context.close()
    for _, console in made:
        assert console.errors == [], console.errors
        assert console.dialogs == [], console.dialogs


@pytest.fixture
def console(console_factory: Callable[..., Console]) -> Console:
    return console_factory()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps the call phase's report on the item, so fixtures can screenshot
    a failing test's pages."""
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]  # pytest allows ad hoc item attributes
    return report
