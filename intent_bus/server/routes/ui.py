"""The web console at /ui: static files shipped inside the package, no build step.

The console is a client of the public JSON API like any other; this module only
serves its files. Every answer carries a Content-Security-Policy that allows
nothing but this origin's own scripts and styles (no inline script, no other
origin) and forbids framing, so user data shown by the console cannot turn into
code even if a rendering bug slipped through.
"""

from __future__ import annotations

from importlib import resources

from intent_bus.server.errors import not_found
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply
from intent_bus.server.schemas import ErrorBody

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Small files, changed by upgrades: revalidate rather than serve stale code.
    (b"cache-control", b"no-cache"),
)

CONTENT_TYPES = {
    "html": b"text/html; charset=utf-8",
    "js": b"text/javascript; charset=utf-8",
    "css": b"text/css; charset=utf-8",
    "svg": b"image/svg+xml",
    "png": b"image/png",
}


def _load_assets() -> dict[str, tuple[bytes, bytes]]:
    """Every servable file by name, read once: the set of names is fixed at
    start-up, so a request path can never reach outside the folder."""
    folder = resources.files("intent_bus.server").joinpath("ui")
    assets: dict[str, tuple[bytes, bytes]] = {}
    for entry in folder.iterdir():
        extension = entry.name.rpartition(".")[2]
        if entry.is_file() and extension in CONTENT_TYPES:
            assets[entry.name] = (CONTENT_TYPES[extension], entry.read_bytes())
    return assets


ASSETS = _load_assets()


def _file(name: str) -> Reply:
    found = ASSETS.get(name)
    if found is None:
        raise not_found("no such console file")
    content_type, body = found
    return Reply(200, body, SECURITY_HEADERS, content_type)


async def page(call: Call, _: None) -> Reply:
    """The console's single page; navigation happens in the URL's #fragment,
    which browsers never send, so intent ids stay out of server logs."""
    return _file("index.html")


async def asset(call: Call, _: None) -> Reply:
    return _file(call.params["name"])


ENDPOINTS = (
    Endpoint(
        "GET",
        "/ui",
        page,
        "The web console (log in with an API key)",
        access="public",
        responses={200: None},
        content_type="text/html",
    ),
    Endpoint(
        "GET",
        "/ui/",
        page,
        "The web console (the same page as /ui)",
        access="public",
        responses={200: None},
        content_type="text/html",
    ),
    Endpoint(
        "GET",
        "/ui/{name}",
        asset,
        "The web console's scripts and styles",
        access="public",
        responses={200: None, 404: ErrorBody},
        content_type="text/javascript",
    ),
)
