"""``Wire``: the sync client's fast path from a ``Call`` to the socket.

``httpx.Client`` is most of the SDK's CPU per call: it parses and merges URLs,
builds and copies header objects, runs the auth flow and fakes a cookie
request for every response, several times the cost of ``http.client`` below
it. When the transport is the SDK's own ``StdlibTransport``, ``Wire`` writes
the request that httpx would have written, byte for byte (same request target,
same headers in the same order, same signature) straight to the transport,
with everything that does not change between calls worked out once per client.

A call whose path or headers httpx would rewrite (a ``.`` or ``..`` segment,
characters it would escape, a header that overrides one of the client's) is
left to httpx (``prepare`` returns None); ``tests/unit/sdk/test_wire.py``
compares both ways on the SDK's calls.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from intent_bus import protocol
from intent_bus.sdk.auth import Signer
from intent_bus.sdk.call import Call
from intent_bus.sdk.stdlib_transport import Outgoing, StdlibTransport

__all__ = ["Wire"]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# Characters httpx leaves alone in a path: unreserved ones, "/" and escapes.
_PLAIN_PATH: Final = re.compile(r"/(?:[A-Za-z0-9_.~/-]|%[0-9A-Fa-f]{2})*").fullmatch

# Methods for which httpx adds "Content-Length: 0" to a request without a body.
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})

# httpx logs every request here at INFO; so does this path, when anyone listens.
_httpx_log: Final = logging.getLogger("httpx")


class Wire:
    """Sends calls for one client over one ``StdlibTransport``.

    Built from the client's ``httpx.Client`` so that the host, the base path
    and the default headers are exactly httpx's own; None when the base URL
    is one this path does not handle (it carries a query).
    """

    __slots__ = (
        "_client_header_names",
        "_client_headers",
        "_host",
        "_origin",
        "_prefix",
        "_signer",
        "_timeout",
        "_timeouts",
        "_transport",
        "_url_prefix",
    )

    def __init__(
        self,
        http: httpx.Client,
        transport: StdlibTransport,
        signer: Signer,
        timeout: float,
    ) -> None:
        template = http.build_request("GET", "/")
        url = template.url
        raw = template.headers.raw
        if (
            url.query
            or url.scheme not in _DEFAULT_PORTS
            or not raw
            or raw[0][0].lower() != b"host"
        ):
            raise ValueError(f"no fast path for {url}")
        self._origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        self._prefix = url.raw_path.decode("ascii").rstrip("/")
        self._url_prefix = str(url).rstrip("/")
        self._host = (raw[0][0].decode("latin-1"), raw[0][1].decode("latin-1"))
        self._client_headers = tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in raw[1:]
        )
        self._client_header_names = frozenset(
            name.lower() for name, _ in self._client_headers
        ) | {"host", "content-length", "transfer-encoding"}
        self._transport = transport
        self._signer = signer
        self._timeout = timeout
        self._timeouts = dict.fromkeys(("connect", "read", "write", "pool"), timeout)

    @classmethod
    def over(
        cls,
        http: httpx.Client,
        transport: httpx.BaseTransport | None,
        signer: Signer,
        timeout: float,
    ) -> Wire | None:
        """The fast path for this client, or None when its requests must go
        through httpx (another transport, or a base URL it does not handle)."""
        if type(transport) is not StdlibTransport:
            return None
        try:
            return cls(http, transport, signer, timeout)
        except ValueError:
            return None

    def prepare(self, call: Call[Any]) -> Outgoing | None:
        """The request httpx would write for `call`, signed; None to leave the
        call to httpx."""
        path = call.path
        if not _PLAIN_PATH(path) or "/." in path:
            return None
        for name, _ in call.headers:
            if name.lower() in self._client_header_names:
                return None
        path = self._prefix + path
        if call.params:
            target = f"{path}?{urlencode(call.params)}"
            canonical = protocol.canonical_path(path, call.params)
        else:
            target = canonical = path
        method = call.method
        body = call.body
        headers: list[tuple[str | bytes, str | bytes]] = [self._host]
        if not body and method in _BODY_METHODS:
            headers.append(("Content-Length", "0"))
        headers += self._client_headers
        headers += call.headers
        if body:
            headers.append(("Content-Length", str(len(body))))
        headers += self._signer.headers(method, canonical, body)
        timeouts = self._timeouts
        if call.extra_read_timeout:
            timeouts = dict(timeouts, read=self._timeout + call.extra_read_timeout)
        return Outgoing(method, target, headers, body, timeouts)

    def send(self, out: Outgoing) -> httpx.Response:
        """Sends a prepared request; raises httpx's transport errors as
        ``httpx.Client`` would."""
        response = self._transport.exchange(self._origin, out)
        response.read()
        if _httpx_log.isEnabledFor(logging.INFO):
            _httpx_log.info(
                'HTTP Request: %s %s "%s %d %s"',
                out.method,
                self._url_prefix + out.target[len(self._prefix) :],
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
        return response
