"""How the CLI fails: one line on stderr and an exit code, never a traceback.

Commands raise `CliError` for expected failures of their own (a bad JSON
argument, a missing key); `describe` turns the SDK's exceptions into the same
kind of one-line message, so `main` has a single place that reports errors.
"""

from __future__ import annotations

import json
from typing import Final

from intent_bus.protocol import ENV_ADMIN_KEY
from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusNetworkError,
    IntentBusRateLimitError,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NOTHING",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "describe",
    "error_code",
    "error_document",
]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
"""The server refused, could not be reached, the intent or key is unknown, an
intent ended dead, a handler failed it."""
EXIT_USAGE: Final = 2
"""Bad command-line arguments, including an argument that is not valid JSON."""
EXIT_NOTHING: Final = 3
"""Nothing there yet: `listen --once` found no intent, `result` is not ready."""
EXIT_INTERRUPTED: Final = 130


class CliError(Exception):
    """An expected failure: `message` is printed as is, `code` is the exit code.

    `printed` says the command already wrote its JSON document (the status of
    an unfinished intent, say), so `--json` adds no error document after it.
    """

    def __init__(
        self,
        message: str,
        code: int = EXIT_ERROR,
        *,
        kind: str | None = None,
        printed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.printed = printed


def error_code(exc: Exception) -> str:
    """The `error.code` of `--json`'s error document: the server's code when it
    gave one, else the kind of local failure."""
    if isinstance(exc, CliError):
        if exc.kind:
            return exc.kind
        return {EXIT_USAGE: "usage", EXIT_NOTHING: "not_ready"}.get(exc.code, "error")
    if isinstance(exc, IntentBusNetworkError):
        return "network_error"
    if isinstance(exc, IntentBusError) and exc.code:
        return exc.code
    if isinstance(exc, IntentBusAuthError):
        return "no_api_key"
    return "error"


def error_document(code: str, message: str) -> str:
    """One JSON line shaped like the protocol's error envelope."""
    return json.dumps(
        {"error": {"code": code, "message": message}},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def one_line(text: str) -> str:
    """Collapse whitespace so an error is exactly one line."""
    return " ".join(text.split())


def describe(exc: IntentBusError, url: str | None = None) -> str:
    """A one-line explanation of an SDK error, naming what to check."""
    text = one_line(str(exc))
    if isinstance(exc, IntentBusNetworkError):
        where = f" at {url}" if url else ""
        return f"cannot reach the Intent Bus server{where}: {text}"
    if isinstance(exc, IntentBusAuthError):
        if exc.status_code is None:
            # No key found: the SDK's message says where it looked.
            return text.replace("pass api_key=...", "pass --api-key")
        if exc.status_code == 403 and exc.code == "forbidden":
            hint = (
                f" (this command needs an admin key: export {ENV_ADMIN_KEY}=ak_... "
                "or pass --api-key)"
            )
            return f"permission denied: {text}{hint}"
        return f"authentication failed: {text}"
    if isinstance(exc, IntentBusRateLimitError):
        after = f"; retry in {exc.retry_after:g} s" if exc.retry_after else ""
        return f"rate limited by the server: {text}{after}"
    if exc.status_code == 404:
        return f"not found: {text}"
    return text
