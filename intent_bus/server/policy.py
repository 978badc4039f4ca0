"""Business arithmetic of the bus, written once: backoff, leases, tokens, hints.

Pure functions: time and randomness are passed in, so tests need no sleeps.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable

from intent_bus import protocol

RATE_WINDOW_SECONDS = 60.0


def backoff_delay(attempts: int, base: float, random: Callable[[], float]) -> float:
    """Seconds before a failed intent may run again: full jitter over
    `base * 2**(attempts-1)`, so retries of many failed intents spread out.

    `random` returns a float in [0, 1). The cap keeps huge attempt counts finite.
    """
    exponent = min(max(attempts - 1, 0), 64)
    ceiling = min(base * 2.0**exponent, protocol.MAX_DELAY_SECONDS)
    return ceiling * random()


def lease_expiry(now: float, seconds: float) -> float:
    return now + seconds


def lease_seconds(requested: float | None, default: int, maximum: int) -> float:
    """The lease an extend_claim grants: the request, or the default, capped."""
    seconds = default if requested is None else requested
    return min(float(seconds), float(maximum))


def claim_token() -> str:
    """An unguessable per-claim secret (256 bits)."""
    return secrets.token_urlsafe(32)


def empty_claim_retry_after(
    now: float, next_due: float | None, poll_interval: float
) -> int:
    """Retry-After for a 204 claim: when the earliest delayed intent this worker
    could take becomes due, capped by the poll interval, and at least 1 s."""
    cap = max(1, math.ceil(poll_interval))
    if next_due is None:
        return cap
    return max(1, min(math.ceil(next_due - now), cap))


def rate_window_start(now: float) -> float:
    """Start of the fixed rate-limit window containing `now`."""
    return math.floor(now / RATE_WINDOW_SECONDS) * RATE_WINDOW_SECONDS


def rate_retry_after(now: float, window_start: float) -> int:
    """Seconds until the window that rejected a request closes (at least 1)."""
    return max(1, math.ceil(window_start + RATE_WINDOW_SECONDS - now))


def truncate_error(text: str) -> str:
    """Free text kept as given, truncated and with any NUL (which PostgreSQL
    text cannot hold) as U+FFFD: a failing worker's message is never refused."""
    return text[: protocol.ERROR_MAX_CHARS].replace("\x00", "\ufffd")
