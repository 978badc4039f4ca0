"""How the CLI fails: one line on stderr and an exit code, never a traceback.

Commands raise `CliError` for expected failures of their own (a bad JSON
argument, a missing key); `describe` turns the SDK's exceptions into the same
kind of one-line message, so `main` has a single place that reports errors.
"""

from __future__ import annotations

from typing import Final

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
    """An expected failure: `message` is printed as is, `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


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
            hint = "" if "admin" in text else " (this command needs an admin key)"
            return f"permission denied: {text}{hint}"
        return f"authentication failed: {text}"
    if isinstance(exc, IntentBusRateLimitError):
        after = f"; retry in {exc.retry_after:g} s" if exc.retry_after else ""
        return f"rate limited by the server: {text}{after}"
    if exc.status_code == 404:
        return f"not found: {text}"
    return text
