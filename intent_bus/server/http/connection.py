"""Connection-level limits, enforced before a request reaches the ASGI app.

uvicorn's httptools protocol bounds neither the request head (a header of
8 MiB or 20,000 headers were accepted), nor the time a client may take to send
it, nor the number of open connections, and it answers a malformed request
with bare text. This subclass adds those limits and answers every refusal in
the protocol's error envelope, then closes the connection:

- request target over `MAX_TARGET_BYTES`: 414 `uri_too_long`;
- request head over `MAX_HEAD_BYTES` or `MAX_HEADER_COUNT` headers: 431
  `headers_too_large` (counted as bytes arrive, so memory stays bounded);
- head not complete within `Settings.request_timeout`: 408 `request_timeout`
  (a connection that sends nothing is closed the same way);
- more than `Settings.max_connections` open connections: the new one gets 503
  `busy` with `Retry-After` and is closed, so file descriptors stay bounded;
- anything the parser cannot read: 400 `invalid_request`.

The body's deadline is enforced by the app (`bodies.read_body`), which can
still answer in order on a live connection; this protocol marks a request
whose body has fully arrived (`bodies.BODY_ARRIVED`), so reading it needs no
deadline.

These checks run on every request, so they cost as little as the parser
allows: the head timer is armed only while a head is actually incomplete
between reads (or a new connection has sent nothing yet), not per request,
and the head's size and header count are checked once, when it is complete,
by exact count only when the bytes read could exceed the limit.

uvicorn writes a response's head and body with one `transport.write` each, two
`send` system calls per response; `CorkedTransport` joins them into one.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import BUSY_RETRY_AFTER, error_reply, retry_after
from intent_bus.server.http.bodies import BODY_ARRIVED
from intent_bus.server.http.reply import Reply
from intent_bus.server.settings import Settings


class _Refused(httptools.HttpParserError):
    """Raised from a parser callback to stop parsing; uvicorn catches it as a
    parser error and calls `send_400_response`, which answers `refusal`."""


def _head(reply: Reply) -> bytes:
    status = HTTPStatus(reply.status)
    lines = [
        f"HTTP/1.1 {status.value} {status.phrase}".encode(),
        b"content-type: application/json",
        b"content-length: " + str(len(reply.body)).encode(),
        b"connection: close",
        protocol.HEADER_VERSION.lower().encode()
        + b": "
        + protocol.PROTOCOL_VERSION.encode(),
    ]
    lines += [name + b": " + v for name, v in reply.headers if name != b"connection"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


class CorkedTransport:
    """The connection's transport, holding a write back until the next write
    or the end of this event-loop iteration, whichever comes first.

    A response is a head write then a body write, with no wait in between, so
    they leave in one system call (and, usually, one TCP segment); a write that
    nothing follows (a HEAD answer, a refusal) goes out a moment later on the
    same loop turn. Everything else is the real transport's.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(
        self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        # Asked several times per request: spared the __getattr__ detour.
        return self._transport.is_closing()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; one per connection."""

    request_timeout: float = protocol.REQUEST_TIMEOUT_SECONDS
    max_connections: int = protocol.DEFAULT_MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: Reply | None = None
        self._in_head = False
        self._head_bytes = 0  # bytes read while this head was incomplete
        self._read_bytes = 0  # size of the read being parsed
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CorkedTransport(transport, self.loop)  # type: ignore[assignment]
        if len(self.connections) > self.max_connections:
            self.refuse(
                error_reply(
                    503,
                    ErrorCode.BUSY,
                    "too many open connections, retry later",
                    retry_after(BUSY_RETRY_AFTER),
                )
            )
            return
        self._arm_head_timer()  # a connection that never sends a byte

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._read_bytes = len(data)
        super().data_received(data)
        if self._in_head and self._refusal is None:
            # A head still incomplete after this read: count it, and start
            # its clock (a head that arrives whole in one read never does).
            self._head_bytes += self._read_bytes
            if self._head_bytes > protocol.MAX_HEAD_BYTES:
                self.refuse(_headers_too_large())
            elif self._head_timer is None:
                self._arm_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > protocol.MAX_TARGET_BYTES:
            self._refusal = error_reply(
                414,
                ErrorCode.URI_TOO_LONG,
                f"request target over {protocol.MAX_TARGET_BYTES} bytes",
            )
            raise _Refused

    def on_headers_complete(self) -> None:
        # Checked before the request reaches the app. Memory stayed bounded
        # meanwhile: by `data_received` across reads, by the read's size within one.
        if len(self.headers) > protocol.MAX_HEADER_COUNT or (
            self._head_bytes + self._read_bytes > protocol.MAX_HEAD_BYTES
            and _head_size(self.url, self.headers) > protocol.MAX_HEAD_BYTES
        ):
            self._refusal = _headers_too_large()
            raise _Refused
        self._in_head = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.scope is not None:
            self.scope[BODY_ARRIVED] = True  # type: ignore[typeddict-unknown-key]

    def send_400_response(self, msg: str) -> None:
        refusal = self._refusal or error_reply(
            400, ErrorCode.INVALID_REQUEST, "malformed HTTP request"
        )
        self.refuse(refusal)

    def refuse(self, reply: Reply) -> None:
        """Answers `reply` on the raw connection and closes it."""
        self._refusal = reply
        self._in_head = False
        self._disarm_head_timer()
        if not self.transport.is_closing():
            self.transport.write(_head(reply) + reply.body)
            self.transport.close()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(
            self.request_timeout, self._head_timed_out
        )

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is None or self.cycle.response_complete:
            self.refuse(request_timeout_reply())


def _head_size(url: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """The head size counted against `MAX_HEAD_BYTES`, CRLFs and colons included."""
    return len(url) + sum(len(name) + len(value) + 4 for name, value in headers)


def _headers_too_large() -> Reply:
    return error_reply(
        431,
        ErrorCode.HEADERS_TOO_LARGE,
        f"request head over {protocol.MAX_HEAD_BYTES} bytes or "
        f"{protocol.MAX_HEADER_COUNT} headers",
    )


def request_timeout_reply() -> Reply:
    return error_reply(
        408,
        ErrorCode.REQUEST_TIMEOUT,
        "the request did not arrive in time",
        ((b"connection", b"close"),),
    )


def protocol_class(settings: Settings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class uvicorn is given, carrying this server's limits."""
    return type(
        "IntentBusHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "request_timeout": settings.request_timeout,
            "max_connections": settings.max_connections,
        },
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn.Config arguments that bound connections (also used by tests)."""
    return {"http": protocol_class(settings), "timeout_keep_alive": 30}
