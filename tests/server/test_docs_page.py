"""/docs is the API reference rendered by the server itself, and / points
people to it: nothing is fetched from another host, every operation of
/openapi.json is on the page, and the page is that document, escaped."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest

from intent_bus import protocol
from intent_bus.server.apidocs.page import render_page
from intent_bus.server.apidocs.schema import limits
from intent_bus.server.routes.docs import CONTENT_SECURITY_POLICY, ROOT_LINKS
from tests.harness import ServerHandle

URL = re.compile(r"(?:https?:)?//[^\s\"'<>()]+")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Page(HTMLParser):
    """The links of a page, and the text of each operation section by id."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self._section: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.links += [v for k, v in attrs if k in ("href", "src") and v]
        if tag == "section":
            if self._section is None and "operation" in (values.get("class") or ""):
                self._section = values["id"] or ""
                self.sections[self._section] = []
                self._depth = 0
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._section is not None:
            self._depth -= 1
            if self._depth == 0:
                self._section = None

    def handle_data(self, data: str) -> None:
        if self._section is not None:
            self.sections[self._section].append(data)

    def operation_texts(self) -> list[str]:
        return [" ".join("".join(parts).split()) for parts in self.sections.values()]


def _parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


def _same_host_only(text: str, server: ServerHandle) -> None:
    own = urlsplit(server.url).netloc
    for url in URL.findall(text):
        assert urlsplit(url).netloc == own, url


def test_docs_page_and_its_assets_load_nothing_from_another_host(
    sqlite_server: ServerHandle,
) -> None:
    response = httpx.get(f"{sqlite_server.url}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    _same_host_only(response.text, sqlite_server)
    page = _parse(response.text)
    assert "script" not in page.tags  # nothing to run: the CSP forbids it anyway
    assets = [link for link in page.links if not link.startswith(("#", "data:"))]
    assert "/docs/style.css" in assets
    for link in assets:
        assert link.startswith("/") and not link.startswith("//"), link
        asset = httpx.get(f"{sqlite_server.url}{link}")
        assert asset.status_code == 200, link
        if link.endswith(".css"):
            assert asset.headers["content-type"] == "text/css; charset=utf-8"
            assert "@import" not in asset.text and "url(" not in asset.text
            _same_host_only(asset.text, sqlite_server)
    for fragment in (link[1:] for link in page.links if link.startswith("#")):
        assert f'id="{fragment}"' in response.text, fragment


@pytest.mark.parametrize("path", ["/docs", "/docs/style.css", "/"])
def test_pages_for_people_allow_no_script_and_no_framing(
    sqlite_server: ServerHandle, path: str
) -> None:
    response = httpx.get(f"{sqlite_server.url}{path}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = dict(
        part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";")
    )
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_docs_page_lists_every_operation_with_its_inputs_and_answers(
    sqlite_server: ServerHandle,
) -> None:
    document = httpx.get(f"{sqlite_server.url}/openapi.json").json()
    page = _parse(httpx.get(f"{sqlite_server.url}/docs").text)
    texts = page.operation_texts()
    count = sum(len(item) for item in document["paths"].values())
    assert len(texts) == count
    for path, item in document["paths"].items():
        for method, operation in item.items():
            heading = f"{method.upper()} {path} "
            found = [text for text in texts if text.startswith(heading)]
            assert len(found) == 1, (method, path)
            text = found[0]
            assert operation["summary"] in text
            for parameter in operation.get("parameters", ()):
                assert parameter["name"] in text
                for limit in limits(parameter["schema"]):
                    assert limit in text, (path, parameter["name"], limit)
            for status, response in operation["responses"].items():
                assert f"{status} {response['description']}" in text
            body = operation.get("requestBody")
            if body is not None:
                ref = body["content"]["application/json"]["schema"]["$ref"]
                schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
                for name, prop in schema["properties"].items():
                    assert name in text
                    for limit in limits(prop):
                        assert limit in text, (path, name, limit)


def test_docs_page_is_the_served_document_rendered(
    sqlite_server: ServerHandle,
) -> None:
    """Rendered from /openapi.json itself, so the two cannot drift apart."""
    document = httpx.get(f"{sqlite_server.url}/openapi.json").json()
    page = httpx.get(f"{sqlite_server.url}/docs").text
    assert page == render_page(document)
    assert f"1 to {protocol.GOAL_MAX_CHARS} characters" in page  # a goal
    assert f"≤ {protocol.MAX_WAIT_SECONDS:g}" in page  # a claim's wait


def test_root_points_a_browser_to_the_console_and_the_docs(
    server: ServerHandle,
) -> None:
    response = httpx.get(f"{server.url}/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    _same_host_only(response.text, server)
    links = _parse(response.text).links
    assert {"/ui", "/docs", "/openapi.json"} <= set(links)
    for link in links:
        if link.startswith("/"):
            assert httpx.get(f"{server.url}{link}").status_code == 200, link
    assert httpx.get(f"{server.url}/").headers["content-type"].startswith("text/html")
    head = httpx.head(f"{server.url}/")
    assert head.status_code == 200 and head.content == b""


def test_root_names_them_to_a_client_asking_for_json(server: ServerHandle) -> None:
    response = httpx.get(f"{server.url}/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"
    assert response.headers["X-Intent-Version"] == protocol.PROTOCOL_VERSION
    links = response.json()
    assert links == {
        "name": "Intent Bus",
        "console": "/ui",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "health": "/healthz",
    }
    document = httpx.get(f"{server.url}/openapi.json").json()
    for name, path in links.items():
        if name != "name":
            assert "get" in document["paths"][path], path
            assert httpx.get(f"{server.url}{path}").status_code == 200, path
    assert links["console"] == ROOT_LINKS.console


def test_root_is_documented_with_both_answers(server: ServerHandle) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    operation = document["paths"]["/"]["get"]
    assert "security" not in operation
    content = operation["responses"]["200"]["content"]
    assert content["application/json"]["schema"]["$ref"].endswith("/RootLinks")
    assert "text/html" in content
    parameters = {(p["in"], p["name"]) for p in operation["parameters"]}
    assert parameters == {("header", protocol.HEADER_ACCEPT)}
    assert set(document["paths"]["/"]) == {"get"}
    assert httpx.post(f"{server.url}/").status_code == 405


def test_the_stylesheet_is_package_data() -> None:
    """The wheel ships every file the pages serve: pyproject's package-data
    names a pattern for each (a wheel built from this tree carried style.css)."""
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["intent_bus"]
    folder = root / "intent_bus" / "server" / "apidocs"
    served = [p for p in folder.iterdir() if p.is_file() and p.suffix != ".py"]
    assert [p.name for p in served] == ["style.css"]
    for path in served:
        relative = path.relative_to(root / "intent_bus").as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_protocol_md_shows_the_root_document_as_served() -> None:
    text = (Path(__file__).parents[2] / "docs" / "PROTOCOL.md").read_text()
    section = text.split("### GET / — where to start", 1)[1].split("\n#", 1)[0]
    shown = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(shown) == msgspec.to_builtins(ROOT_LINKS)
