"""What the sync and async clients share besides their methods: configuration,
the plans (``operations``) and the protocol-version check.

Both clients inherit from ``ClientCore`` and add only their way of sending, so a
rule about credentials, headers or leases lives here once.
"""

from __future__ import annotations

import http.cookiejar
import warnings
from typing import Any

import httpx

from intent_bus import protocol
from intent_bus._version import __version__
from intent_bus.sdk import calls
from intent_bus.sdk.auth import SigningAuth
from intent_bus.sdk.call import Call
from intent_bus.sdk.credentials import resolve_api_key, resolve_base_url
from intent_bus.sdk.operations import Operations
from intent_bus.sdk.retry import RetryPolicy

__all__ = ["KEEPALIVE_EXPIRY", "MAX_IDLE_CONNECTIONS", "USER_AGENT", "ClientCore"]

USER_AGENT = f"intent-bus-python/{__version__}"

# Below uvicorn's default keep-alive (5 s), so a pooled connection is not reused
# just as the server closes it: that race looks like a lost response, which a
# claim must not retry.
KEEPALIVE_EXPIRY = 4.0

# Idle connections kept per server, by either client's transport.
MAX_IDLE_CONNECTIONS = 20


class NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that keeps nothing: the protocol has no cookies, and parsing
    every response for them was a measurable share of the client's CPU."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


class ClientCore:
    """Configuration and state common to IntentClient and AsyncIntentClient."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        retry: RetryPolicy | None,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise TypeError("timeout must be a number of seconds")
        self.base_url = resolve_base_url(base_url)
        self._auth = SigningAuth(resolve_api_key(api_key))
        self._timeout = float(timeout)
        self._retry = retry if retry is not None else RetryPolicy()
        self._ops = Operations()
        self._version_warned = False
        self._version_seen: str | None = protocol.PROTOCOL_VERSION

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _http_options(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "cookies": NoCookies(),
            "auth": self._auth,
            "timeout": httpx.Timeout(self._timeout),
            "follow_redirects": False,
            "limits": httpx.Limits(
                max_connections=100,
                max_keepalive_connections=MAX_IDLE_CONNECTIONS,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            ),
            "headers": {
                protocol.HEADER_VERSION: protocol.PROTOCOL_VERSION,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        }

    def _request_options(self, call: Call[Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            "content": call.body,
            "headers": call.headers,
        }
        if call.params:
            options["params"] = call.params
        if call.extra_read_timeout:
            options["timeout"] = httpx.Timeout(
                self._timeout, read=self._timeout + call.extra_read_timeout
            )
        return options

    def _check_version(self, response: httpx.Response) -> None:
        # stacklevel 7 is the line that called the client method: above this
        # are _send_once, send_sync/send_async, _send, _run and the method.
        if self._version_warned:
            return
        header = response.headers.get(protocol.HEADER_VERSION)
        if header == self._version_seen:
            return  # a version already found compatible
        message = calls.version_mismatch(header)
        if message is None:
            self._version_seen = header
        else:
            self._version_warned = True
            warnings.warn(message, UserWarning, stacklevel=7)
