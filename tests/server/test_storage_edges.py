"""Unknown keys are cached briefly, and a full disk is 507 insufficient_storage
with reads still served: both against real stores."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from intent_bus.server.auth import CACHE_SECONDS, Authenticator, KeyCache
from intent_bus.server.settings import Settings
from intent_bus.storage import open_store
from intent_bus.storage.base import ApiKey
from intent_bus.storage.errors import StorageFull
from intent_bus.storage.postgres.store import _translated
from intent_bus.storage.sqlite.store import SqliteStore
from intent_bus.storage.sqlite.writer import translate
from tests.harness import running_server


class CountingStore:
    """A real store that counts key look-ups."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.key_gets = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def key_get(self, secret: str) -> ApiKey | None:
        self.key_gets += 1
        result: ApiKey | None = await self._inner.key_get(secret)
        return result


@pytest.mark.anyio
async def test_unknown_keys_cost_one_lookup_until_the_cache_expires(
    db_url: str,
) -> None:
    store = CountingStore(open_store(db_url))
    await store.start()
    try:
        auth = Authenticator(store, Settings(db_url=db_url), KeyCache(seconds=0.5))  # type: ignore[arg-type]
        for _ in range(50):
            assert await auth.lookup("tk_unknown") is None
        assert store.key_gets == 1
        # Created meanwhile elsewhere (another replica): seen once the miss expires.
        key = ApiKey(
            id="key_new", secret="tk_unknown", owner="o", role="tenant", created_at=0.0
        )
        await store.key_create(key)
        assert await auth.lookup("tk_unknown") is None
        await asyncio.sleep(0.6)
        found = await auth.lookup("tk_unknown")
        assert found is not None and found.id == "key_new"
        assert store.key_gets == 2
    finally:
        await store.close()


def test_a_flood_of_unknown_keys_does_not_evict_known_ones() -> None:
    cache = KeyCache()
    known = ApiKey(id="k", secret="tk_known", owner="o", role="tenant", created_at=0.0)
    cache.put(known, 0.0)
    for n in range(30_000):
        cache.put_miss(f"tk_made_up_{n}", 0.0)
    assert cache.get("tk_known", 1.0) == known
    assert cache.missed("tk_made_up_29999", 1.0)
    assert not cache.missed("tk_made_up_29999", CACHE_SECONDS + 1)


def test_sqlite_disk_full_is_507_and_reads_keep_working(tmp_path: Path) -> None:
    """A real SQLITE_FULL: the writer's database may not grow past its size
    (`max_page_count`), as on a full filesystem."""
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    store = open_store(url)
    assert isinstance(store, SqliteStore)
    with running_server(Settings(db_url=url), store) as server:
        key = server.create_tenant()
        http = httpx.Client(base_url=server.url, headers={"X-API-KEY": key})
        first = http.post("/intent", json={"goal": "before"}).json()["id"]

        def cap(conn: sqlite3.Connection) -> None:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")

        asyncio.run(store._run(cap))
        big = {"goal": "after", "payload": "x" * 200_000}
        full = http.post("/intent", json=big)
        assert full.status_code == 507, full.text
        assert full.json()["error"]["code"] == "insufficient_storage"
        assert http.get(f"/status/{first}").status_code == 200
        assert server_stats(server)["by_status"].get("open") == 1

        def uncap(conn: sqlite3.Connection) -> None:
            conn.execute("PRAGMA max_page_count = 1073741823")

        asyncio.run(store._run(uncap))
        assert http.post("/intent", json=big).status_code == 201
        http.close()


def server_stats(server: Any) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/admin/stats", headers={"X-API-KEY": server.admin_key}
    )
    body: dict[str, Any] = response.json()
    return body


def test_sqlite_full_errors_translate_to_storage_full() -> None:
    error = sqlite3.OperationalError("database or disk is full")
    assert isinstance(translate(error), StorageFull)


def test_postgres_disk_full_translates_to_storage_full() -> None:
    """SQLSTATE 53100 cannot be provoked on a shared test server; the
    translation is checked with psycopg's own exception class."""
    with pytest.raises(StorageFull), _translated():
        raise psycopg.errors.DiskFull("could not extend file: No space left on device")
