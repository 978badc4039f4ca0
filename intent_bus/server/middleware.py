"""Pure-ASGI middleware: stamps `X-Intent-Version` on every response.

It wraps Starlette's router, so routing's own 404/405 answers carry the header
too. Endpoints stamp it themselves (they are usually reached through the
dispatcher, without this middleware), so it is added only where missing.
"""

from __future__ import annotations

from typing import Any

from intent_bus.server.endpoint import VERSION_HEADER, Receive, Send


class VersionHeaderMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, scope: dict[str, Any], receive: Receive, send: Send
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name == VERSION_HEADER[0] for name, _ in headers):
                    headers.append(VERSION_HEADER)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_version)
