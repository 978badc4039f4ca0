"""Pure-ASGI middleware: stamps `X-Intent-Version` on every response.

It wraps the whole router, so routing's own 404/405 answers carry the header
too; a closure over `send` is all it costs per request.
"""

from __future__ import annotations

from typing import Any

from intent_bus import protocol
from intent_bus.server.endpoint import Receive, Send

VERSION_HEADER = (
    protocol.HEADER_VERSION.lower().encode(),
    protocol.PROTOCOL_VERSION.encode(),
)


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
                message["headers"] = [*message.get("headers", ()), VERSION_HEADER]
            await send(message)

        await self.app(scope, receive, send_with_version)
