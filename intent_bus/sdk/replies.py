"""Reading the server's answers: JSON bodies, expected statuses, error envelopes.

Every parser in ``calls`` and ``admin_calls`` goes through these, so an error
response becomes the same exception whichever operation received it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusLeaseLostError,
    IntentBusProtocolError,
    IntentBusRateLimitError,
)
from intent_bus.sdk.retry import parse_retry_after

__all__ = ["error_from", "expect", "expect_object", "list_field", "read_json"]


def read_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise IntentBusProtocolError(
            f"server sent a non-JSON body with HTTP {response.status_code}: "
            f"{response.text[:200]!r}",
            status_code=response.status_code,
        ) from None


def error_from(response: httpx.Response, *, lease: bool = False) -> IntentBusError:
    """The exception for an error response (lease=True: 404 means lease lost)."""
    status = response.status_code
    code: str | None = None
    message = response.reason_phrase or "error"
    try:
        envelope = json.loads(response.content)["error"]
        code = envelope.get("code") if isinstance(envelope.get("code"), str) else None
        if isinstance(envelope.get("message"), str):
            message = envelope["message"]
    except (ValueError, KeyError, TypeError, AttributeError):
        if response.content:
            message = response.text[:200]
    cls: type[IntentBusError] = IntentBusError
    if status in (401, 403):
        cls = IntentBusAuthError
    elif status == 404 and lease:
        cls = IntentBusLeaseLostError
    elif status == 429:
        return IntentBusRateLimitError(
            message,
            code=code,
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    elif 200 <= status < 300 or 100 <= status < 200:
        cls = IntentBusProtocolError
        message = f"unexpected HTTP {status} from the server"
    return cls(message, code=code, status_code=status)


def expect(response: httpx.Response, *statuses: int, lease: bool = False) -> None:
    """Raises the response's error unless its status is one of `statuses`."""
    if response.status_code not in statuses:
        raise error_from(response, lease=lease)


def expect_object(response: httpx.Response, what: str) -> dict[str, Any]:
    data = read_json(response)
    if not isinstance(data, dict):
        raise IntentBusProtocolError(
            f"server sent an invalid {what}: not a JSON object"
        )
    return data


def list_field(response: httpx.Response, name: str, what: str) -> list[Any]:
    """The list under `name` in a JSON object answer."""
    data = expect_object(response, what)
    items = data.get(name)
    if not isinstance(items, list):
        raise IntentBusProtocolError(
            f"server sent an invalid {what}: field {name!r} must be a list"
        )
    return items
