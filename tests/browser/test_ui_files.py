"""/ui is served from the package with a strict CSP; no browser needed."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import httpx
import pytest

from intent_bus.server.routes.ui import ASSETS, CONTENT_SECURITY_POLICY
from tests.harness import ServerHandle

UI_FILES = sorted(ASSETS)


@pytest.mark.parametrize("path", ["/ui", "/ui/", "/ui/app.js", "/ui/style.css"])
def test_ui_responses_forbid_inline_script_other_origins_and_framing(
    ui_server: ServerHandle, path: str
) -> None:
    response = httpx.get(f"{ui_server.url}{path}")
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = dict(
        part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_ui_files_have_their_content_types(ui_server: ServerHandle) -> None:
    page = httpx.get(f"{ui_server.url}/ui")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    script = httpx.get(f"{ui_server.url}/ui/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    style = httpx.get(f"{ui_server.url}/ui/style.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize(
    "path", ["/ui/nope.js", "/ui/..%2Fapp.py", "/ui/%2E%2E/routes/ui.py", "/ui/x/y"]
)
def test_only_the_console_files_are_served(ui_server: ServerHandle, path: str) -> None:
    response = httpx.get(f"{ui_server.url}{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_page_loads_nothing_from_elsewhere_and_nothing_inline() -> None:
    folder = resources.files("intent_bus.server").joinpath("ui")
    html = folder.joinpath("index.html").read_text()
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/ui/' in tag, tag
    assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None
    assert "style=" not in html
    assert re.search(r"(src|href)=\"(https?:)?//", html) is None
    for name in UI_FILES:
        text = folder.joinpath(name).read_text()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
        assert "@import" not in text
        if name.endswith(".js"):
            # Data reaches the page as text only.
            assert "innerHTML" not in text and "outerHTML" not in text, name
            assert "insertAdjacentHTML" not in text and "document.write" not in text
            assert ".style." not in text, name  # CSP forbids inline styles
            assert "console.log" not in text, name  # the key must never be logged


def test_ui_files_are_package_data() -> None:
    """The wheel ships the folder: pyproject's package-data names it."""
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    package_data = pyproject.split("[tool.setuptools.package-data]")[1]
    assert '"server/ui/*"' in package_data.split("[")[1]
    assert {"index.html", "app.js", "style.css"} <= set(UI_FILES)
