"""Contract: nonce memory (signature replay) and rate-limit windows."""

from __future__ import annotations

import asyncio

import pytest

from intent_bus.storage.base import Store
from tests.contract.conftest import NOW

pytestmark = pytest.mark.anyio


async def test_nonce_is_accepted_once_per_key(store: Store) -> None:
    assert await store.nonce_remember("key-1", "n-1", NOW) is True
    assert await store.nonce_remember("key-1", "n-1", NOW + 1) is False
    assert await store.nonce_remember("key-2", "n-1", NOW + 1) is True
    assert await store.nonce_remember("key-1", "n-2", NOW + 1) is True


async def test_concurrent_uses_of_one_nonce_accept_exactly_one(store: Store) -> None:
    results = await asyncio.gather(
        *(store.nonce_remember("key-1", "same", NOW) for _ in range(20))
    )
    assert sorted(results) == [False] * 19 + [True]


async def test_nonce_purge_forgets_nonces_seen_before_the_cutoff(store: Store) -> None:
    await store.nonce_remember("key-1", "old", NOW)
    await store.nonce_remember("key-1", "new", NOW + 100)

    assert await store.nonce_purge(NOW + 50) == 1

    assert await store.nonce_remember("key-1", "old", NOW + 200) is True
    assert await store.nonce_remember("key-1", "new", NOW + 200) is False


async def test_rate_hit_counts_requests_per_key_and_window(store: Store) -> None:
    assert [await store.rate_hit("key-1", NOW) for _ in range(3)] == [1, 2, 3]
    assert await store.rate_hit("key-2", NOW) == 1
    assert await store.rate_hit("key-1", NOW + 60) == 1
    assert await store.rate_hit("key-1", NOW + 60) == 2


async def test_concurrent_rate_hits_are_all_counted(store: Store) -> None:
    counts = await asyncio.gather(*(store.rate_hit("key-1", NOW) for _ in range(25)))
    assert sorted(counts) == list(range(1, 26))
