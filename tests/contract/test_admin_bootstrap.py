"""The server's admin-key bootstrap, on every backend: one key however many
replicas start at once, and the same key after a restart."""

from __future__ import annotations

import asyncio

import pytest

from intent_bus.server.bootstrap import ensure_admin_key
from intent_bus.storage.base import Store

pytestmark = pytest.mark.anyio


async def test_replicas_starting_together_share_one_generated_admin_key(
    store: Store,
) -> None:
    announced: list[str] = []
    keys = await asyncio.gather(
        *(ensure_admin_key(store, None, 1000.0, announced.append) for _ in range(3))
    )
    assert len({key.secret for key in keys}) == 1
    assert len(announced) == 1
    assert keys[0].secret in announced[0]
    live = [k for k in await store.key_list("admin") if k.revoked_at is None]
    assert [k.secret for k in live] == [keys[0].secret]


async def test_restart_reuses_the_generated_admin_key_without_printing(
    store: Store,
) -> None:
    announced: list[str] = []
    first = await ensure_admin_key(store, None, 1000.0, announced.append)
    again = await ensure_admin_key(store, None, 2000.0, announced.append)
    assert again.secret == first.secret
    assert len(announced) == 1
