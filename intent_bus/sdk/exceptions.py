"""Every exception the SDK raises, so callers can catch exactly what they expect.

The family::

    IntentBusError                  base; also invalid arguments and unexpected replies
    ├── IntentBusAuthError          401 / 403, or no API key could be found
    ├── IntentBusRateLimitError     429 after retries (``retry_after``)
    ├── IntentBusNetworkError       timeouts, refused or dropped connections
    ├── IntentBusProtocolError      the server's reply breaks the wire contract
    └── IntentBusLeaseLostError     404 on fulfill / fail / extend_claim

Each one carries the server's error ``code``, ``message`` and HTTP ``status_code``
when the server answered; they are ``None`` when it never did.
"""

from __future__ import annotations

__all__ = [
    "IntentBusAuthError",
    "IntentBusError",
    "IntentBusLeaseLostError",
    "IntentBusNetworkError",
    "IntentBusProtocolError",
    "IntentBusRateLimitError",
]


class IntentBusError(Exception):
    """Base of the family; raised as itself for invalid arguments (before anything
    is sent) and for server errors without a more specific class (400, 409, 413, 5xx).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code

    def __str__(self) -> str:
        if self.status_code is None:
            return self.message
        code = f" {self.code}" if self.code else ""
        return f"{self.message} (HTTP {self.status_code}{code})"


class IntentBusAuthError(IntentBusError):
    """The key is missing, unknown or revoked (401), or the server refused the
    signature or the operation (403: bad signature, clock skew, replayed nonce,
    a tenant key on an admin route)."""


class IntentBusRateLimitError(IntentBusError):
    """The server kept answering 429; ``retry_after`` is its last suggestion in
    seconds (None if it gave none)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code)
        self.retry_after = retry_after


class IntentBusNetworkError(IntentBusError):
    """The server could not be reached or its answer was lost (timeout, refused or
    reset connection), and retrying was unsafe or did not help.

    ``request_sent`` is False when no connection was made (the server certainly
    did nothing) and True when the request may have been processed.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code)
        self.request_sent = request_sent


class IntentBusProtocolError(IntentBusError):
    """The server answered something the wire contract does not allow: not JSON,
    a missing or mistyped field (named in the message), an unexpected status."""


class IntentBusLeaseLostError(IntentBusError):
    """fulfill, fail or extend_claim was refused with 404: the lease expired, the
    token is wrong or stale, or the intent is already finished. The work done under
    it may be repeated by another worker."""
