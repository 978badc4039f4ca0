"""When to try a request again, and the loops that do it.

``RetryPolicy`` and ``RetryLoop`` are pure: they are given the time and a random
number, so backoff and give-up rules are tested without sleeping. ``send_sync``
and ``send_async`` are the only places that sleep; they wrap one attempt
(``send_once``) and are the same loop written for each I/O style.

What may be repeated is decided per request in ``calls.py``:

- ``Safety.ALWAYS``: repeating cannot do harm (reads, KV writes, publish with
  its idempotency key, fulfill/fail/extend with their claim token). Retried on
  connection errors, timeouts, lost responses, 429 and 5xx.
- ``Safety.UNPROCESSED``: not idempotent (claim). Retried only when the server
  certainly did nothing: the connection was never made, or it answered 429 or
  503. A response lost after the request went out is surfaced, never repeated,
  so one ``claim()`` takes at most one lease.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from intent_bus.sdk.call import Call, Safety
from intent_bus.sdk.exceptions import IntentBusNetworkError

__all__ = [
    "RetryLoop",
    "RetryPolicy",
    "Safety",
    "parse_retry_after",
    "send_async",
    "send_sync",
]

T = TypeVar("T")


# Statuses that say "the server did not act on this request, try later".
_UNPROCESSED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Full-jitter exponential backoff, bounded by attempts and by total time.

    The n-th retry waits a uniformly random time in
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]``, but at least the server's
    ``Retry-After``. No retry starts if it would end past ``max_total`` seconds
    after the first attempt began. ``RetryPolicy(max_attempts=1)`` never retries.
    """

    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    max_total: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("delays must not be negative")

    def delay(
        self, attempt: int, elapsed: float, retry_after: float | None, rand: float
    ) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based), or
        None when the budget is spent."""
        if attempt >= self.max_attempts:
            return None
        wait: float = rand * min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        if retry_after is not None:
            wait = max(wait, retry_after)
        if elapsed + wait > self.max_total:
            return None
        return wait


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, 86400.0))


class RetryLoop:
    """The retry decisions for one call, fed the outcome of each attempt."""

    __slots__ = ("_policy", "_rand", "_safety", "_start", "attempt", "uncertain")

    def __init__(
        self,
        policy: RetryPolicy,
        safety: Safety,
        start: float,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._policy = policy
        self._safety = safety
        self._start = start
        self._rand = rand
        self.attempt = 1
        self.uncertain = False
        """True once an attempt may have reached the server without an answer."""

    def _next(self, now: float, retry_after: float | None) -> float | None:
        wait = self._policy.delay(
            self.attempt, now - self._start, retry_after, self._rand()
        )
        if wait is not None:
            self.attempt += 1
        return wait

    def after_error(self, error: IntentBusNetworkError, now: float) -> float | None:
        """Seconds to wait before retrying after a transport failure, or None to
        raise it."""
        if error.request_sent:
            self.uncertain = True
            if self._safety is not Safety.ALWAYS:
                return None
        return self._next(now, None)

    def after_response(
        self, status_code: int, retry_after: str | None, now: float
    ) -> float | None:
        """Seconds to wait before retrying after this response, or None to accept
        it (success or the error it reports)."""
        if status_code < 429:
            return None
        if status_code in _UNPROCESSED_STATUSES:
            pass
        elif status_code < 500 or self._safety is not Safety.ALWAYS:
            return None
        return self._next(now, parse_retry_after(retry_after))


def send_sync(
    call: Call[T],
    send_once: Callable[[Call[T]], httpx.Response],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Sends `call` until it succeeds or the policy gives up; returns its parse."""
    loop = RetryLoop(policy, call.retry, clock())
    while True:
        try:
            response = send_once(call)
        except IntentBusNetworkError as exc:
            wait = loop.after_error(exc, clock())
            if wait is None:
                raise
            sleep(wait)
            continue
        wait = loop.after_response(
            response.status_code, response.headers.get("retry-after"), clock()
        )
        if wait is None:
            return call.parse(response, loop.uncertain)
        sleep(wait)


async def send_async(
    call: Call[T],
    send_once: Callable[[Call[T]], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """The asyncio twin of `send_sync`."""
    loop = RetryLoop(policy, call.retry, clock())
    while True:
        try:
            response = await send_once(call)
        except IntentBusNetworkError as exc:
            wait = loop.after_error(exc, clock())
            if wait is None:
                raise
            await asyncio.sleep(wait)
            continue
        wait = loop.after_response(
            response.status_code, response.headers.get("retry-after"), clock()
        )
        if wait is None:
            return call.parse(response, loop.uncertain)
        await asyncio.sleep(wait)
