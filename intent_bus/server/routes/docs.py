"""The pages for people: the API reference at /docs, and / pointing to it.

The reference is rendered here from the OpenAPI document.

The page is built from the very bytes /openapi.json serves, so the two cannot
disagree, and it loads nothing from another origin (an offline network sees
the whole reference). Its answers carry a Content-Security-Policy that allows
no script at all and only this origin's stylesheet: every text on the page is
escaped data, never code.
"""

from __future__ import annotations

import functools
from html import escape
from importlib import resources

import msgspec

from intent_bus import protocol
from intent_bus.server.apidocs.page import STYLESHEET, render_page
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import RootHeaders, RootLinks

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Changed by upgrades only, but small: revalidate rather than serve stale.
    (b"cache-control", b"no-cache"),
)

HTML = b"text/html; charset=utf-8"
CSS = b"text/css; charset=utf-8"

_STYLE = resources.files("intent_bus.server.apidocs").joinpath("style.css").read_bytes()


@functools.lru_cache(maxsize=4)
def docs_page(openapi: bytes) -> bytes:
    """The reference for one encoded OpenAPI document, rendered once per app."""
    return render_page(msgspec.json.decode(openapi)).encode()


ROOT_LINKS = RootLinks(
    name="Intent Bus",
    console="/ui",
    docs="/docs",
    openapi="/openapi.json",
    health="/healthz",
)
"""Where GET / sends people and programs; a test checks each one is served."""

_VARY = ((b"vary", protocol.HEADER_ACCEPT.encode()),)


def _root_page(links: RootLinks) -> bytes:
    entries = (
        (links.console, "Web console", "log in with an API key to watch and steer"),
        (links.docs, "API reference", "every endpoint, parameter, limit and error"),
        (links.openapi, "OpenAPI document", "the same reference, for tools"),
        (links.health, "Health check", "200 once the server is ready"),
    )
    items = "".join(
        f'<li><a href="{escape(href)}">{escape(label)}</a> '
        f"<code>{escape(href)}</code><br>{escape(text)}</li>"
        for href, label, text in entries
    )
    name = escape(links.name)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{name}</title><link rel="stylesheet" href="{STYLESHEET}">'
        '<link rel="icon" href="data:,"></head><body>'
        f"<header><h1>{name}</h1><p>This server speaks the Intent Protocol over "
        "HTTP; its JSON API is for programs. People start here:</p></header>"
        f'<ul class="links">{items}</ul></body></html>\n'
    ).encode()


ROOT_PAGE = _root_page(ROOT_LINKS)


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = part.split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.strip().lower(), quality))
    return ranges


def _preference(ranges: list[tuple[str, float]], media: str) -> tuple[float, int]:
    """(quality, specificity) of the most specific range matching `media`."""
    kind = media.partition("/")[0]
    best = (0.0, -1)
    for pattern, quality in ranges:
        if pattern == media:
            specificity = 2
        elif pattern == f"{kind}/*":
            specificity = 1
        elif pattern == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def prefers_json(accept: str | None) -> bool:
    """True when Accept ranks JSON above HTML (by quality, then by how exactly
    it names it); no header or a plain `*/*` gets the page."""
    if not accept:
        return False
    ranges = _ranges(accept)
    json = _preference(ranges, protocol.MEDIA_JSON)
    return json[0] > 0 and json > _preference(ranges, "text/html")


async def root(call: Call, _: None) -> Reply:
    headers: RootHeaders = call.headers
    if prefers_json(headers.accept):
        reply = json_reply(200, ROOT_LINKS)
        return Reply(reply.status, reply.body, _VARY)
    return Reply(200, ROOT_PAGE, SECURITY_HEADERS + _VARY, HTML)


async def docs(call: Call, _: None) -> Reply:
    return Reply(200, docs_page(call.services.openapi), SECURITY_HEADERS, HTML)


async def docs_style(call: Call, _: None) -> Reply:
    return Reply(200, _STYLE, SECURITY_HEADERS, CSS)


ENDPOINTS = (
    Endpoint(
        "GET",
        "/",
        root,
        "Where to start: a page linking the console and the docs, or JSON naming"
        f" them when Accept prefers {protocol.MEDIA_JSON}",
        access="public",
        headers=RootHeaders,
        responses={200: RootLinks},
        content_type="text/html",
    ),
    Endpoint(
        "GET",
        "/docs",
        docs,
        "Browsable API reference, generated from /openapi.json (works offline)",
        access="public",
        responses={200: None},
        content_type="text/html",
    ),
    Endpoint(
        "GET",
        STYLESHEET,
        docs_style,
        "The API reference's stylesheet",
        access="public",
        responses={200: None},
        content_type="text/css",
    ),
)
