"""``StdlibTransport``: the sync client's default httpx transport, built on
``http.client`` with a small keep-alive pool.

httpx's own transport (httpcore + h11) costs several times more CPU per request
than ``http.client``; a worker sharing a small machine with the server is bound
by that cost. This transport keeps httpx's API above it (auth, timeouts, the
``httpx.Response`` that ``calls`` parses) and raises the same httpx exceptions
httpx's transport raises in the same situation, so ``transport.mapped_errors``
and the retry rules see no difference:

- nothing reached the server: ``ConnectError`` / ``ConnectTimeout``;
- the request was being written: ``WriteError`` / ``WriteTimeout``;
- the request went out, its answer did not come back: ``ReadError`` /
  ``ReadTimeout`` / ``RemoteProtocolError``.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from intent_bus.sdk.quick_response import QuickResponse

__all__ = ["Outgoing", "StdlibTransport", "default_transport"]

_DEFAULT_PORTS = {"http": 80, "https": 443}

_Origin = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request as it is written: what ``handle_request`` makes of an
    ``httpx.Request``, or what the sync client's fast path (``wire``) builds
    without one (then `request` is None)."""

    method: str
    target: str
    """The request target: path and query, percent-encoded as sent."""
    headers: Sequence[tuple[str | bytes, str | bytes]]
    body: bytes
    timeouts: Mapping[str, float | None]
    request: httpx.Request | None = None


def _is_readable(sock: socket.socket) -> bool:
    """True when an idle connection has something to read: the server closed it
    (EOF) or sent bytes nobody asked for. Either way it must not be reused."""
    if sys.platform == "win32" or not hasattr(select, "poll"):
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


@contextmanager
def _mapped(
    timeout_error: type[httpx.TimeoutException],
    other_error: type[httpx.TransportError],
    request: httpx.Request | None,
) -> Iterator[None]:
    """Maps socket and ``http.client`` errors of one phase to httpx's."""
    try:
        yield
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        raise timeout_error(str(exc) or "timed out", request=request) from exc
    except http.client.RemoteDisconnected as exc:
        # httpx's wording for the same event.
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        ) from exc
    except http.client.HTTPException as exc:
        # Malformed status line or headers, a body cut short (IncompleteRead).
        raise httpx.RemoteProtocolError(
            str(exc) or type(exc).__name__, request=request
        ) from exc
    except OSError as exc:
        raise other_error(str(exc) or type(exc).__name__, request=request) from exc


class _OneWrite(http.client.HTTPConnection):
    """Sends a request's head and a bytes body in one write, as a single
    segment: ``http.client`` writes them separately, which costs a second
    system call here and a second read on the server. Reads answers with
    ``QuickResponse``."""

    response_class = QuickResponse

    def _send_output(
        self, message_body: object = None, encode_chunked: bool = False
    ) -> None:
        if isinstance(message_body, bytes) and message_body and not encode_chunked:
            self._buffer.extend((b"", message_body))  # type: ignore[attr-defined]
            message = b"\r\n".join(self._buffer)  # type: ignore[attr-defined]
            del self._buffer[:]  # type: ignore[attr-defined]
            self.send(message)
            return
        super()._send_output(message_body, encode_chunked)  # type: ignore[misc]


class _OneWriteTLS(_OneWrite, http.client.HTTPSConnection):
    """``_OneWrite`` over TLS."""


class _Unsent(Exception):
    """A reused connection failed while the request was being written."""


class StdlibTransport(httpx.BaseTransport):
    """HTTP/1.1 over ``http.client`` with a thread-safe keep-alive pool.

    Idle connections are kept per (scheme, host, port), at most
    ``max_idle_per_origin`` of them, and dropped after ``keepalive_expiry``
    seconds: choose it below the server's keep-alive (uvicorn: 5 s) so a
    connection is not reused just as the server closes it. As in httpcore, a
    reused connection is first checked for a close the server already sent, and
    an answer that arrives while the body is still being written (an early 413)
    is the response. If the server closed a reused connection while the request
    was being written, it cannot have a whole request, so the request goes once
    more over a fresh connection. A lost answer is never resent here: that is
    the retry policy's call. Connections in use are not capped; there are as
    many as concurrent requests.

    ``ssl_context`` defaults to httpx's (certifi, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``), so switching transports changes no one's trust store.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        keepalive_expiry: float = 4.0,
        max_idle_per_origin: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._max_idle = max_idle_per_origin
        self._clock = clock
        self._lock = threading.Lock()
        # Per origin, idle connections with the time they went idle; the newest
        # is last, so it is reused first and the stale ones age out at the front.
        self._idle: dict[_Origin, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._closed = False

    # ------------------------------------------------------------ pool

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            return self._ssl_context

    def _checkout(self, origin: _Origin) -> http.client.HTTPConnection | None:
        """An idle connection that is still usable, or None."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                conn, since = idle.pop()
                if self._clock() - since >= self._keepalive_expiry:
                    # The older ones have expired too.
                    stale = [conn, *(older for older, _ in idle)]
                    idle.clear()
                else:
                    stale = []
            if stale:
                for old in stale:
                    old.close()
                return None
            if conn.sock is not None and not _is_readable(conn.sock):
                return conn
            conn.close()

    def _checkin(self, origin: _Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and conn.sock is not None:
                idle = self._idle.setdefault(origin, [])
                if len(idle) < self._max_idle:
                    idle.append((conn, self._clock()))
                    return
        conn.close()

    def _connect(
        self, origin: _Origin, timeout: float | None, request: httpx.Request | None
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = _OneWriteTLS(host, port, timeout=timeout, context=self._context())
        else:
            conn = _OneWrite(host, port, timeout=timeout)
        try:
            with _mapped(httpx.ConnectTimeout, httpx.ConnectError, request):
                conn.connect()
        except BaseException:
            conn.close()
            raise
        return conn

    # ------------------------------------------------------------ one request

    def _send(self, conn: http.client.HTTPConnection, out: Outgoing) -> None:
        """Writes the request; ``WriteError`` / ``WriteTimeout`` only come from
        here."""
        try:
            conn.putrequest(
                out.method, out.target, skip_host=True, skip_accept_encoding=True
            )
            for name, value in out.headers:
                conn.putheader(name, value)
        except (ValueError, http.client.HTTPException) as exc:
            # An illegal method, path or header; nothing was written.
            raise httpx.LocalProtocolError(str(exc), request=out.request) from exc
        assert conn.sock is not None
        conn.sock.settimeout(out.timeouts.get("write"))
        with _mapped(httpx.WriteTimeout, httpx.WriteError, out.request):
            # One write for head and body (see _OneWrite).
            conn.endheaders(out.body)

    def _receive(
        self, conn: http.client.HTTPConnection, out: Outgoing
    ) -> tuple[httpx.Response, bool]:
        """Reads the whole answer; also says whether the connection stays open."""
        assert conn.sock is not None
        conn.sock.settimeout(out.timeouts.get("read"))
        with _mapped(httpx.ReadTimeout, httpx.ReadError, out.request):
            answer = conn.getresponse()
            try:
                # Content-Length or chunked; http.client handles both.
                body = answer.read()
            finally:
                answer.close()
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in answer.getheaders()
        ]
        response = httpx.Response(
            answer.status,
            headers=headers,
            stream=httpx.ByteStream(body),
            request=out.request,
            extensions={
                "http_version": b"HTTP/1.1" if answer.version == 11 else b"HTTP/1.0",
                "reason_phrase": answer.reason.encode("latin-1"),
            },
        )
        return response, not answer.will_close and conn.sock is not None

    def _early_answer(
        self, conn: http.client.HTTPConnection, out: Outgoing
    ) -> httpx.Response | None:
        try:
            response, _ = self._receive(conn, out)
        except httpx.TransportError:
            return None
        return response

    def _exchange(
        self,
        origin: _Origin,
        conn: http.client.HTTPConnection,
        out: Outgoing,
        *,
        reused: bool,
    ) -> httpx.Response:
        """Sends on `conn` and reads the answer; `conn` goes back to the pool or
        is closed. Raises _Unsent when a reused connection failed the write."""
        try:
            try:
                self._send(conn, out)
            except httpx.WriteError as failed:
                # Like httpcore: a server may answer before reading the whole
                # body (413) and hang up; then that answer is the response.
                early = self._early_answer(conn, out)
                if early is None:
                    if reused:
                        raise _Unsent from failed
                    raise
                response, keep = early, False
            else:
                response, keep = self._receive(conn, out)
        except BaseException:
            conn.close()
            raise
        if keep:
            self._checkin(origin, conn)
        else:
            conn.close()
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.",
                request=request,
            )
        origin = (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])
        out = Outgoing(
            request.method,
            url.raw_path.decode("ascii"),
            request.headers.raw,
            request.read(),
            request.extensions.get("timeout", {}),
            request,
        )
        return self.exchange(origin, out)

    def exchange(self, origin: _Origin, out: Outgoing) -> httpx.Response:
        """Sends `out` to `origin` (scheme, host, port) and returns the answer
        (its whole body in the stream: ``read()`` loads it); what
        ``handle_request`` does once it has taken the ``httpx.Request`` apart."""
        if self._closed:
            raise RuntimeError("the transport is closed")
        conn = self._checkout(origin)
        if conn is not None:
            try:
                return self._exchange(origin, conn, out, reused=True)
            except _Unsent:
                # The keep-alive race: the server closed this idle connection
                # as we wrote to it. A failed write leaves it without a whole
                # request, so nothing was done and one fresh try is safe.
                pass
        conn = self._connect(origin, out.timeouts.get("connect"), out.request)
        return self._exchange(origin, conn, out, reused=False)

    def close(self) -> None:
        """Closes the idle connections; connections in use close when done."""
        with self._lock:
            self._closed = True
            idle = [conn for conns in self._idle.values() for conn, _ in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()


def default_transport(
    base_url: str, *, keepalive_expiry: float, max_idle: int
) -> StdlibTransport | None:
    """The sync client's transport for `base_url`, or None to leave the choice
    to httpx when a proxy from the environment (``HTTP_PROXY``, ``HTTPS_PROXY``,
    ``ALL_PROXY``) could apply: this transport only talks to servers directly,
    and httpx's own transport honours those variables and ``NO_PROXY``."""
    proxies = urllib.request.getproxies()
    scheme = httpx.URL(base_url).scheme
    if proxies.get(scheme) or proxies.get("all"):
        return None
    return StdlibTransport(
        keepalive_expiry=keepalive_expiry, max_idle_per_origin=max_idle
    )
