"""The value a handler returns, and the one function that sends any answer.

Every response of the server (endpoint replies, errors, routing's 404/405) goes
out through `send_reply`, which is therefore the one place that stamps
`X-Intent-Version`. It talks raw ASGI (two messages); no Response object is
built on the hot path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from intent_bus import protocol
from intent_bus.server.schemas import encoder

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

VERSION_HEADER = (
    protocol.HEADER_VERSION.lower().encode(),
    protocol.PROTOCOL_VERSION.encode(),
)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    content_type: bytes = b"application/json"


def json_reply(status: int, value: object) -> Reply:
    """Encodes a response Struct (or plain JSON-able value) once."""
    return Reply(status, encoder.encode(value))


async def send_reply(send: Send, reply: Reply) -> None:
    if reply.status == 204:
        headers = [VERSION_HEADER, *reply.headers]
    else:
        headers = [
            (b"content-type", reply.content_type),
            (b"content-length", str(len(reply.body)).encode()),
            VERSION_HEADER,
            *reply.headers,
        ]
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": reply.body})
