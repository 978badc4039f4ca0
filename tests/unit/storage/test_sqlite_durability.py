"""The SQLite URL's `synchronous` option: kill-safe by default, power-safe on
request, and nothing else accepted silently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intent_bus.storage.sqlite import SqliteStore
from intent_bus.storage.sqlite.url import options_from_url

pytestmark = pytest.mark.anyio

# PRAGMA synchronous reports 1 for NORMAL and 2 for FULL.
NORMAL, FULL = 1, 2


def test_default_is_normal_and_full_can_be_asked_for() -> None:
    assert options_from_url("sqlite:///bus.db") == {"synchronous": "normal"}
    assert options_from_url("sqlite:///bus.db?synchronous=FULL") == {
        "synchronous": "full"
    }


@pytest.mark.parametrize(
    "url", ["sqlite:///bus.db?synchronous=off", "sqlite:///bus.db?fsync=yes"]
)
def test_unknown_or_unsafe_options_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        options_from_url(url)


@pytest.mark.parametrize(
    ("query", "expected"), [("", NORMAL), ("?synchronous=full", FULL)]
)
async def test_the_writer_connection_runs_in_the_requested_mode(
    tmp_path: Path, query: str, expected: int
) -> None:
    store = SqliteStore.from_url(f"sqlite:///{tmp_path / 'bus.db'}{query}")
    await store.start()
    try:

        def mode(conn: sqlite3.Connection) -> int:
            value: int = conn.execute("PRAGMA synchronous").fetchone()[0]
            return value

        assert await store._run(mode) == expected
    finally:
        await store.close()
