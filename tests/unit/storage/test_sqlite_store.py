"""SQLite-specific behaviour behind the Store contract: in-memory databases,
batched reaping, statistics read beside the writer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from intent_bus.storage.base import ApiKey, ClaimQuery, Lease, NewIntent, PlainBox
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


async def test_secure_delete_is_on_only_while_secrets_are_resealed(
    tmp_path: Path,
) -> None:
    """Sealing zeroes the plaintext it overwrites, and turns that off again: left
    on, every index entry an intent's status change frees would be zeroed too."""
    path = tmp_path / "keys.db"
    old = SqliteStore(path, box=PlainBox())
    await old.start()
    await old.key_create(
        ApiKey(id="k1", secret="tk_one", owner="acme", role="tenant", created_at=0.0)
    )
    await old.close()
    store = SqliteStore(path, box=_ReversingBox())
    await store.start()
    try:
        assert await store.key_seal() == 1
        on = await store._run(
            lambda conn: conn.execute("PRAGMA secure_delete").fetchone()[0]
        )
        assert on == 0
    finally:
        await store.close()


class _ReversingBox:
    """Seals by reversing: enough for the store to have something to seal."""

    def lookup(self, secret: str) -> str:
        return "x:" + secret

    def seal(self, secret: str) -> bytes | None:
        return secret[::-1].encode()

    def open(self, sealed: bytes) -> str:
        return sealed.decode()[::-1]
