"""Fast routing of API requests straight to their endpoint, ahead of Starlette.

Profiling the job cycle showed Starlette's router and its two exception
middlewares costing a sizeable share of each request (a regex per route, three
wrapped `send` closures). Every API path is either literal or literal segments
plus parameters, so a dict lookup on (method, first segment, segment count)
finds the endpoint. Anything it cannot place (unknown paths, wrong methods,
HEAD, lifespan) goes to the Starlette app, which answers exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from intent_bus.server.endpoint import Endpoint, EndpointApp, Receive, Send


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


class _Route:
    __slots__ = ("app", "names", "parts", "rest")

    def __init__(self, endpoint: Endpoint, app: EndpointApp) -> None:
        pattern = compile_path(endpoint.path)
        self.parts, self.names, self.rest = pattern.parts, pattern.names, pattern.rest
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
    """The ASGI entry point: endpoints by table, everything else by Starlette."""

    def __init__(
        self, routes: Sequence[tuple[Endpoint, EndpointApp]], fallback: Starlette
    ) -> None:
        self.fallback = fallback
        self._table: dict[tuple[str, str], list[_Route]] = {}
        for endpoint, app in routes:
            first = endpoint.path.split("/")[1]
            self._table.setdefault((endpoint.method, first), []).append(
                _Route(endpoint, app)
            )

    @property
    def routes(self) -> list[BaseRoute]:
        """Starlette's route list: the same endpoints, for introspection."""
        return self.fallback.routes

    async def __call__(
        self, scope: dict[str, Any], receive: Receive, send: Send
    ) -> None:
        if scope["type"] == "http":
            segments = scope["path"].split("/")
            if len(segments) > 1:
                candidates = self._table.get((scope["method"], segments[1]))
                if candidates is not None:
                    for route in candidates:
                        params = route.match(segments)
                        if params is not None:
                            scope["path_params"] = params
                            await route.app(scope, receive, send)
                            return
        await self.fallback(scope, receive, send)  # type: ignore[arg-type]  # ASGI send: our alias is narrower than Starlette's
