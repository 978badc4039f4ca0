"""The SQLite page cache and memory map are settings with small defaults, so a
server holding a million queued intents stays small (bench/memory.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intent_bus.storage.sqlite import SqliteStore
from intent_bus.storage.sqlite.url import (
    DEFAULT_CACHE_MIB,
    DEFAULT_MMAP_MIB,
    options_from_url,
)

pytestmark = pytest.mark.anyio


def test_sizes_are_read_from_the_url_in_mib() -> None:
    assert options_from_url("sqlite:///bus.db?cache_mib=8&mmap_mib=0") == {
        "synchronous": "normal",
        "cache_mib": 8,
        "mmap_mib": 0,
    }


@pytest.mark.parametrize(
    "query",
    ["cache_mib=0", "cache_mib=-1", "cache_mib=1.5", "mmap_mib=abc", "mmap_mib=99999"],
)
def test_sizes_out_of_range_are_refused(query: str) -> None:
    with pytest.raises(ValueError, match="whole number of MiB"):
        options_from_url(f"sqlite:///bus.db?{query}")


def _sizes(conn: sqlite3.Connection) -> tuple[int, int]:
    cache: int = conn.execute("PRAGMA cache_size").fetchone()[0]
    mmap: int = conn.execute("PRAGMA mmap_size").fetchone()[0]
    return cache, mmap


@pytest.mark.parametrize(
    ("query", "cache_mib", "mmap_mib"),
    [("", DEFAULT_CACHE_MIB, DEFAULT_MMAP_MIB), ("?cache_mib=4&mmap_mib=0", 4, 0)],
)
async def test_the_writer_connection_uses_the_sizes(
    tmp_path: Path, query: str, cache_mib: int, mmap_mib: int
) -> None:
    store = SqliteStore.from_url(f"sqlite:///{tmp_path / 'bus.db'}{query}")
    await store.start()
    try:
        # A negative cache_size is KiB; mmap_size is bytes.
        assert await store._run(_sizes) == (-cache_mib * 1024, mmap_mib << 20)
    finally:
        await store.close()
