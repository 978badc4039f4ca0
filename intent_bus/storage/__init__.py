"""Storage backends behind one `Store` protocol, chosen by database URL."""

from __future__ import annotations

from intent_bus.storage.base import SecretBox, Store


def open_store(url: str, box: SecretBox | None = None) -> Store:
    """Builds the backend for `url` (``sqlite:///PATH`` or ``postgresql://...``).

    The backend is imported here, not at module load, so that an SQLite-only
    install never needs psycopg. `box` keeps API key secrets (the server
    passes one holding its key-encryption key); without one they are kept as
    given.
    """
    if url.startswith("sqlite:"):
        from intent_bus.storage.sqlite.store import SqliteStore

        return SqliteStore.from_url(url, box=box)
    if url.startswith(("postgresql:", "postgres:")):
        from intent_bus.storage.postgres.store import PostgresStore

        return PostgresStore.from_url(url, box)
    raise ValueError(
        f"unsupported database URL {url!r}: use sqlite:/// or postgresql://"
    )
