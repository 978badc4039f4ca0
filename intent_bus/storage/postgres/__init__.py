"""The PostgreSQL backend: stateless replicas on one database, woken by NOTIFY."""

from __future__ import annotations

from intent_bus.storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
