"""Storage backends behind one `Store` protocol, chosen by database URL."""

from __future__ import annotations

from intent_bus.storage.base import Store


def open_store(url: str) -> Store:
    """Builds the backend for `url` (``sqlite:///PATH`` or ``postgresql://...``).

    The backend is imported here, not at module load, so that an SQLite-only
    install never needs psycopg.
    """
    if url.startswith("sqlite:"):
        from intent_bus.storage.sqlite.store import SqliteStore

        return SqliteStore.from_url(url)
    if url.startswith(("postgresql:", "postgres:")):
        from intent_bus.storage.postgres.store import PostgresStore

        return PostgresStore.from_url(url)
    raise ValueError(
        f"unsupported database URL {url!r}: use sqlite:/// or postgresql://"
    )
