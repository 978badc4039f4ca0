"""The value a handler returns: status, encoded body and extra headers.

Endpoints send it with two raw ASGI messages; no Response object is built on
the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

from intent_bus.server.schemas import encoder


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    content_type: bytes = b"application/json"


def json_reply(status: int, value: object) -> Reply:
    """Encodes a response Struct (or plain JSON-able value) once."""
    return Reply(status, encoder.encode(value))
