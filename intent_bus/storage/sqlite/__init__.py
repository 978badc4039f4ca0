"""The embedded SQLite backend: one writer thread with group commit, in WAL mode."""

from __future__ import annotations

from intent_bus.storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
