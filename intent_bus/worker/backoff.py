"""How long the claim loop waits: after an empty claim and after an error.

Pure functions with time and randomness passed in, so the pacing rules are
tested without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["MAX_ERROR_BACKOFF", "error_delay", "idle_delay"]

ERROR_BASE_SECONDS = 0.5
MAX_ERROR_BACKOFF = 5.0
"""The longest pause between claims while the server is unreachable: short,
so workers pick up work within seconds of it coming back (jitter spreads
them)."""


def error_delay(
    failures: int,
    max_backoff: float,
    rand: Callable[[], float],
    base: float = ERROR_BASE_SECONDS,
) -> float:
    """Full-jitter backoff after the `failures`-th consecutive failed claim.

    Uniform in ``[0, min(max_backoff, base * 2**(failures-1))]``: many workers
    that lost the server at the same moment spread their retries instead of
    arriving together when it comes back.
    """
    exponent = max(0, failures - 1)
    ceiling = min(max_backoff, base * 2.0 ** min(exponent, 62))
    return rand() * ceiling


def idle_delay(
    retry_after: float | None, elapsed: float, poll_interval: float
) -> float:
    """How long to pause after a claim that found no work.

    The server's ``Retry-After`` wins when it sent one; otherwise the worker's
    own poll interval. Time the claim itself spent long-polling on the server
    counts towards the pause, so a long-poll that already waited is followed
    by the next long-poll at once, while a server that answers immediately
    (no long-poll support, or under load) is not hammered.
    """
    wanted = poll_interval if retry_after is None else retry_after
    return max(0.0, wanted - elapsed)
