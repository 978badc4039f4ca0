"""Contract: the per-tenant key-value store with expiry."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Store
from tests.contract.conftest import NOW

pytestmark = pytest.mark.anyio


async def test_set_then_get_returns_the_bytes_unchanged(store: Store) -> None:
    value = b'{"a": [1, 2.50, "\\u00e9"]}'
    await store.kv_set("acme", "config", value, NOW + 60, NOW)
    got = await store.kv_get("acme", "config", NOW + 1)
    assert got == value and isinstance(got, bytes)


async def test_get_of_missing_key_is_none(store: Store) -> None:
    assert await store.kv_get("acme", "nothing", NOW) is None


async def test_set_overwrites_value_and_expiry(store: Store) -> None:
    await store.kv_set("acme", "k", b"1", NOW + 10, NOW)
    await store.kv_set("acme", "k", b"2", NOW + 100, NOW + 5)
    assert await store.kv_get("acme", "k", NOW + 50) == b"2"


async def test_value_expires_at_its_expiry(store: Store) -> None:
    await store.kv_set("acme", "k", b"1", NOW + 10, NOW)
    assert await store.kv_get("acme", "k", NOW + 9.99) == b"1"
    assert await store.kv_get("acme", "k", NOW + 10) is None


async def test_tenants_do_not_see_each_others_keys(store: Store) -> None:
    await store.kv_set("acme", "shared-name", b'"acme"', NOW + 60, NOW)
    await store.kv_set("globex", "shared-name", b'"globex"', NOW + 60, NOW)
    assert await store.kv_get("acme", "shared-name", NOW) == b'"acme"'
    assert await store.kv_get("globex", "shared-name", NOW) == b'"globex"'
    assert await store.kv_get("initech", "shared-name", NOW) is None


async def test_purge_deletes_only_expired_entries(store: Store) -> None:
    await store.kv_set("acme", "old", b"1", NOW + 10, NOW)
    await store.kv_set("globex", "old", b"1", NOW + 20, NOW)
    await store.kv_set("acme", "fresh", b"2", NOW + 100, NOW)

    assert await store.kv_purge(NOW + 50) == 2
    assert await store.kv_purge(NOW + 50) == 0
    assert await store.kv_get("acme", "fresh", NOW + 50) == b"2"


async def test_expired_key_can_be_set_again(store: Store) -> None:
    await store.kv_set("acme", "k", b"1", NOW + 10, NOW)
    await store.kv_set("acme", "k", b"2", NOW + 110, NOW + 100)
    assert await store.kv_get("acme", "k", NOW + 100) == b"2"
