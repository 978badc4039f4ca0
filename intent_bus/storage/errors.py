"""The exceptions a Store raises.

Each backend translates its driver's errors (sqlite3, psycopg) into these, once,
inside the backend; the server maps them onto the protocol's error envelope.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every storage failure the server knows how to answer."""


class NotFound(StoreError):
    """The intent, key or record does not exist (or is not visible to the caller)."""


class LeaseLost(StoreError):
    """The claim token does not hold the current lease of that intent."""


class Conflict(StoreError):
    """A unique fact was already recorded differently (e.g. an idempotency key)."""


class Busy(StoreError):
    """The store could not take the write in time; the client should retry later."""


class StorageFull(StoreError):
    """The database's disk is full: the write was not made; reads still work,
    and writes succeed again once space returns."""
