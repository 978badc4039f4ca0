"""SQLite-specific behaviour behind the Store contract: in-memory databases,
batched reaping, statistics read beside the writer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from intent_bus.storage.base import ClaimQuery, Lease, NewIntent
from intent_bus.storage.sqlite.store import PURGE_BATCH, SqliteStore

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0
ACME = ClaimQuery(owner="acme", namespace="default")


def intent() -> NewIntent:
    return NewIntent(
        uuid.uuid4().hex, "acme", "g", b"{}", "default", "private", 100, NOW, NOW,
        3, 5.0,
    )  # fmt: skip


@pytest.fixture(params=["memory", "file"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SqliteStore]:
    url = "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path}/s.db"
    opened = SqliteStore.from_url(url)
    await opened.start()
    yield opened
    await opened.close()


async def test_reap_settles_more_leases_than_one_batch(store: SqliteStore) -> None:
    count = PURGE_BATCH + 50
    for start in range(0, count, 200):
        size = min(200, count - start)
        await asyncio.gather(
            *(store.intent_publish(intent(), None, NOW) for _ in range(size))
        )
        await asyncio.gather(
            *(
                store.intent_claim(ACME, Lease(uuid.uuid4().hex, NOW + 1, None), NOW)
                for _ in range(size)
            )
        )

    assert await store.intent_reap(NOW + 2) == count
    stats = await store.intent_stats(NOW + 2)
    assert stats.by_status["open"] == count and stats.by_status["claimed"] == 0


async def test_stats_read_while_writes_continue(store: SqliteStore) -> None:
    await asyncio.gather(
        *(store.intent_publish(intent(), None, NOW) for _ in range(20))
    )
    writes = asyncio.gather(
        *(store.intent_publish(intent(), None, NOW) for _ in range(20))
    )
    stats = await store.intent_stats(NOW)
    await writes
    assert 20 <= stats.by_status["open"] <= 40
    final = await store.intent_stats(NOW)
    assert final.by_status["open"] == 40
