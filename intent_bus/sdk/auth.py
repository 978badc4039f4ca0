"""Request signing: every attempt carries a fresh timestamp, nonce and HMAC.

``Signer`` computes the four signing headers for a request's method, canonical
path and body; it keys its HMAC once per client and copies that state for each
request, which gives the same digest as ``protocol.sign`` (the function the
server verifies with) without hashing the key again every time.

``SigningAuth`` is the ``httpx.Auth`` over it, for requests that go through
``httpx``'s client (the async client, or a transport of the caller's): it signs
after httpx has built the final URL, so the signature covers exactly the path
and query that go on the wire. The sync client's own fast path (``wire``) asks
the ``Signer`` directly. Either way a retry is signed anew (the server refuses
replayed nonces).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator
from urllib.parse import parse_qsl

import httpx

from intent_bus import protocol

__all__ = ["Signer", "SigningAuth"]


def _random_nonce() -> str:
    # secrets.token_hex(16), without its two extra calls.
    return os.urandom(16).hex()


class Signer:
    """The ``X-API-KEY``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature``
    headers of one request.

    `clock` and `nonce` are parameters so tests can provoke a stale timestamp or
    a replayed nonce.
    """

    __slots__ = ("_api_key", "_clock", "_keyed", "_nonce")

    def __init__(
        self,
        api_key: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = _random_nonce,
    ) -> None:
        self._api_key = api_key
        self._clock = clock
        self._nonce = nonce
        self._keyed = protocol.keyed_mac(api_key)

    def __repr__(self) -> str:
        return "Signer(api_key=<hidden>)"

    def headers(
        self, method: str, canonical_path: str, body: bytes
    ) -> tuple[tuple[str, str], ...]:
        """The signing headers, in the order they are sent; `canonical_path` as
        ``protocol.canonical_path`` gives it."""
        timestamp = str(int(self._clock()))
        nonce = self._nonce()
        mac = self._keyed.copy()
        mac.update(
            protocol.signing_bytes(method, canonical_path, timestamp, nonce, body)
        )
        return (
            (protocol.HEADER_API_KEY, self._api_key),
            (protocol.HEADER_TIMESTAMP, timestamp),
            (protocol.HEADER_NONCE, nonce),
            (protocol.HEADER_SIGNATURE, mac.hexdigest()),
        )


class SigningAuth(httpx.Auth):
    """Adds ``X-API-KEY``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature``
    to each request httpx sends (see ``Signer`` for `clock` and `nonce`)."""

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = _random_nonce,
    ) -> None:
        self.signer = Signer(api_key, clock=clock, nonce=nonce)

    def __repr__(self) -> str:
        return "SigningAuth(api_key=<hidden>)"

    def sign(self, request: httpx.Request) -> None:
        raw = request.url.raw_path.decode("ascii")
        path, _, query = raw.partition("?")
        canonical = protocol.canonical_path(
            path, parse_qsl(query, keep_blank_values=True)
        )
        headers = request.headers
        for name, value in self.signer.headers(
            request.method, canonical, request.content
        ):
            headers[name] = value

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
