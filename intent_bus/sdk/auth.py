"""Request signing: every attempt carries a fresh timestamp, nonce and HMAC.

Signing happens in an ``httpx.Auth``, after httpx has built the final URL, so the
signature covers exactly the path and query that go on the wire; a retry goes
through the flow again and is signed anew (the server refuses replayed nonces).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Generator
from urllib.parse import parse_qsl

import httpx

from intent_bus import protocol

__all__ = ["SigningAuth"]


class SigningAuth(httpx.Auth):
    """Adds ``X-API-KEY``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature``.

    `clock` and `nonce` are parameters so tests can provoke a stale timestamp or
    a replayed nonce.
    """

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        self._api_key = api_key
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return "SigningAuth(api_key=<hidden>)"

    def sign(self, request: httpx.Request) -> None:
        raw = request.url.raw_path.decode("ascii")
        path, _, query = raw.partition("?")
        canonical = protocol.canonical_path(
            path, parse_qsl(query, keep_blank_values=True)
        )
        timestamp = str(int(self._clock()))
        nonce = self._nonce()
        headers = request.headers
        headers[protocol.HEADER_API_KEY] = self._api_key
        headers[protocol.HEADER_TIMESTAMP] = timestamp
        headers[protocol.HEADER_NONCE] = nonce
        headers[protocol.HEADER_SIGNATURE] = protocol.sign(
            self._api_key, request.method, canonical, timestamp, nonce, request.content
        )

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
