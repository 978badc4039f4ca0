"""Per-key request limit: a fixed 60-second window counted in the store.

Counting in the store (not in memory) makes the limit hold across replicas.
Admin keys are never limited, and a limit of 0 turns the check off entirely.
"""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server import policy
from intent_bus.server.errors import ApiError, retry_after
from intent_bus.storage.base import ApiKey, Store


async def enforce(store: Store, limit: int, key: ApiKey, now: float) -> None:
    """Counts this request; raises 429 with Retry-After past the limit."""
    if limit <= 0 or key.role == protocol.ROLE_ADMIN:
        return
    window = policy.rate_window_start(now)
    count = await store.rate_hit(key.id, window)
    if count > limit:
        raise ApiError(
            429,
            ErrorCode.RATE_LIMITED,
            f"rate limit of {limit} requests per minute exceeded",
            retry_after(policy.rate_retry_after(now, window)),
        )
