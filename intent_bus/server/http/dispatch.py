"""The ASGI entry point: every request is routed here, and only here.

Every API path is either literal or literal segments plus parameters, so a dict
lookup on (method, first segment) and a positional match finds the endpoint,
without a regex per route. (Starlette's router and exception middlewares cost a
sizeable share of each request when this replaced them.) A path no endpoint
serves is 404; a path served under other methods is 405 with an `Allow` header
listing exactly the methods the OpenAPI document gives that path. HEAD is
answered as GET (the ASGI server drops the body).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import error_reply
from intent_bus.server.http.endpoint import Endpoint
from intent_bus.server.http.lifespan import Lifespan, run_lifespan
from intent_bus.server.http.pipeline import EndpointApp
from intent_bus.server.http.reply import Receive, Reply, Send, send_reply


@dataclass(frozen=True, slots=True)
class PathPattern:
    """A route path split into segments: a literal string, or None where a
    parameter goes. `rest` names a trailing ``{name:path}`` parameter, which
    takes the remaining segments, slashes included."""

    parts: tuple[str | None, ...]
    names: tuple[str, ...]
    rest: str | None = None


def compile_path(path: str) -> PathPattern:
    """`/fulfill/{intent_id}` -> parts ('', 'fulfill', None), names ('intent_id',)."""
    parts: list[str | None] = []
    names: list[str] = []
    rest: str | None = None
    for segment in path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name, _, converter = segment[1:-1].partition(":")
            names.append(name)
            if converter == "path":
                rest = name
                break
            parts.append(None)
        else:
            parts.append(segment)
    return PathPattern(tuple(parts), tuple(names), rest)


def _bad_text(raw: bytes) -> bool:
    """Whether percent-decoding gives invalid UTF-8 or a NUL; plain ASCII
    without escapes (nearly every request) is settled without decoding."""
    if b"%" not in raw and raw.isascii():
        return False
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return True
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def target_problem(scope: dict[str, Any]) -> str | None:
    """Why the request target is refused, or None.

    The ASGI server decodes invalid escapes to U+FFFD, so `inv%FF` and `inv%FE`
    would name one KV key; and no store can keep NUL. Both are refused up front.
    """
    raw_path = scope.get("raw_path")
    if raw_path is not None and _bad_text(raw_path):
        return "the path must be UTF-8 without NUL characters"
    if "\x00" in scope["path"]:
        return "the path must not contain NUL characters"
    if _bad_text(scope.get("query_string", b"")):
        return "the query string must be UTF-8 without NUL characters"
    return None


class _Route:
    __slots__ = ("app", "endpoint", "names", "parts", "rest")

    def __init__(self, endpoint: Endpoint, app: EndpointApp) -> None:
        pattern = compile_path(endpoint.path)
        self.parts, self.names, self.rest = pattern.parts, pattern.names, pattern.rest
        self.endpoint = endpoint
        self.app = app

    def match(self, segments: list[str]) -> dict[str, str] | None:
        parts = self.parts
        if self.rest is None:
            if len(segments) != len(parts):
                return None
        elif len(segments) <= len(parts):
            return None
        values: list[str] = []
        for expected, given in zip(parts, segments, strict=False):
            if expected is None:
                if not given:
                    return None
                values.append(given)
            elif expected != given:
                return None
        if self.rest is not None:
            tail = "/".join(segments[len(parts) :])
            if not tail:
                return None
            values.append(tail)
        return dict(zip(self.names, values, strict=True))


class Dispatcher:
    """The whole ASGI app: lifespan, endpoints by table, 404/405 otherwise."""

    def __init__(self, apps: Sequence[EndpointApp], lifespan: Lifespan) -> None:
        self._lifespan = lifespan
        self._routes = [_Route(app.endpoint, app) for app in apps]
        self._table: dict[tuple[str, str], list[_Route]] = {}
        # A literal path (`/intents/requeue`) outranks a pattern that would also
        # match it (`/intents/{intent_id}`): its other methods are 405, never the
        # pattern's handler with "requeue" as an id.
        self._literal: dict[str, dict[str, _Route]] = {}
        for route in self._routes:
            first = route.endpoint.path.split("/")[1]
            self._table.setdefault((route.endpoint.method, first), []).append(route)
            if not route.names:
                path = route.endpoint.path
                self._literal.setdefault(path, {})[route.endpoint.method] = route

    @property
    def endpoints(self) -> list[Endpoint]:
        """The endpoints served, in table order: what `/openapi.json` documents."""
        return [route.endpoint for route in self._routes]

    async def __call__(
        self, scope: dict[str, Any], receive: Receive, send: Send
    ) -> None:
        kind = scope["type"]
        if kind == "http":
            problem = target_problem(scope)
            if problem is not None:
                await send_reply(
                    send, error_reply(400, ErrorCode.INVALID_REQUEST, problem)
                )
                return
            segments = scope["path"].split("/")
            method = scope["method"]
            if method == "HEAD":
                method = "GET"
            literal = self._literal.get(scope["path"])
            if literal is not None:
                route_here = literal.get(method)
                if route_here is not None:
                    await route_here.app(scope, receive, send, {})
                else:
                    await send_reply(send, _method_not_allowed(sorted(literal)))
                return
            if len(segments) > 1:
                candidates = self._table.get((method, segments[1]))
                if candidates is not None:
                    for route in candidates:
                        params = route.match(segments)
                        if params is not None:
                            await route.app(scope, receive, send, params)
                            return
            await self._unrouted(segments, send)
        elif kind == "lifespan":
            await run_lifespan(self._lifespan, receive, send)
        else:  # websocket: not served; close the handshake
            await send({"type": "websocket.close", "code": 1000})

    async def _unrouted(self, segments: list[str], send: Send) -> None:
        allowed = sorted(
            {r.endpoint.method for r in self._routes if r.match(segments) is not None}
        )
        if not allowed:
            await send_reply(send, error_reply(404, ErrorCode.NOT_FOUND, "Not Found"))
            return
        await send_reply(send, _method_not_allowed(allowed))


def _method_not_allowed(allowed: list[str]) -> Reply:
    return error_reply(
        405,
        ErrorCode.INVALID_REQUEST,
        "Method Not Allowed",
        ((b"allow", ", ".join(allowed).encode()),),
    )
