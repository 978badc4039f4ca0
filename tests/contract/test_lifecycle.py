"""Contract: a store reopened on the same database finds everything it committed."""

from __future__ import annotations

import pytest

from intent_bus.storage import open_store
from intent_bus.storage.base import Store
from tests.contract.conftest import NOW, claim, publish

pytestmark = pytest.mark.anyio


async def test_restart_keeps_intents_keys_and_values(db_url: str) -> None:
    first: Store = open_store(db_url)
    await first.start()
    try:
        kept = await publish(first)
        await publish(first)
        leased = await claim(first)
        assert leased is not None
        await first.kv_set("acme", "k", b'"v"', NOW + 60, NOW)
        await first.nonce_remember("key-1", "n", NOW)
    finally:
        await first.close()

    second: Store = open_store(db_url)
    await second.start()  # migrations already applied: must be a no-op
    try:
        got = await second.intent_get(kept.id, NOW)
        assert got is not None and got.payload == kept.payload
        again = await second.intent_get(leased.id, NOW)
        assert again is not None and again.status == "claimed"
        assert again.claim_token == leased.claim_token
        assert await second.kv_get("acme", "k", NOW) == b'"v"'
        assert await second.nonce_remember("key-1", "n", NOW) is False
    finally:
        await second.close()


async def test_start_twice_on_one_database_is_harmless(db_url: str) -> None:
    stores = [open_store(db_url), open_store(db_url)]
    for each in stores:
        await each.start()
    try:
        sent = await publish(stores[0])
        assert await stores[1].intent_get(sent.id, NOW) is not None
    finally:
        for each in stores:
            await each.close()
