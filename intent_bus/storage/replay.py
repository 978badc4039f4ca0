"""A signed request's nonce, recorded by the request's own first store operation
(on PostgreSQL; SQLite checks nonces in memory instead, see `sqlite/nonces.py`).

Recording a nonce on its own costs a whole store round trip (on SQLite, a
hand-off to the writer thread and back), as much as the request's real work. So
the server *defers* it: the nonce waits here, scoped to the request's task, and
a store that `defers_nonces` inserts it inside the first operation that task
runs, in the same transaction. A nonce already used refuses that whole operation
with `Replayed` before it changes anything. The nonces table stays the one
record, so replay protection still holds across a restart and across replicas.

If that operation fails, its transaction (and the nonce with it) is rolled
back: the nonce is pending again. A request that ends with its nonce still
pending (it failed, or never touched the store) records it on its own before
answering (`take_pending`), and is refused if it was used meanwhile.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from intent_bus.storage.errors import StoreError


class Replayed(StoreError):
    """The request's nonce was used before: its operation was refused whole."""


class PendingNonce:
    """One request's nonce, until an operation of that request records it."""

    __slots__ = ("key_id", "nonce", "now", "recorded", "task")

    def __init__(self, key_id: str, nonce: str, now: float) -> None:
        self.key_id = key_id
        self.nonce = nonce
        self.now = now
        self.recorded = False
        # Only the request's own task may record it: a task the handler starts
        # inherits the context, but its operations are not the request's.
        self.task = asyncio.current_task()

    def params(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "nonce": self.nonce, "now": self.now}

    def release(self) -> None:
        """The operation that carried the nonce did not commit."""
        self.recorded = False


_PENDING: ContextVar[PendingNonce | None] = ContextVar(
    "intent_bus_pending_nonce", default=None
)


def defer(key_id: str, nonce: str, now: float) -> None:
    """Leaves the current request's nonce for its first store operation."""
    _PENDING.set(PendingNonce(key_id, nonce, now))


def take_pending() -> PendingNonce | None:
    """The current request's nonce if it still waits to be recorded; the caller
    records it (and calls `release` if that fails)."""
    pending = _PENDING.get()
    if (
        pending is None
        or pending.recorded
        or pending.task is not asyncio.current_task()
    ):
        return None
    pending.recorded = True
    return pending


def clear() -> None:
    """Forgets the current request's nonce (its request is answered)."""
    _PENDING.set(None)
