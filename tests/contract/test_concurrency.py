"""Contract: concurrent callers never share a lease or lose a write."""

from __future__ import annotations

import asyncio

import pytest

from intent_bus.storage.base import Store
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


async def test_fifty_concurrent_claims_never_return_one_intent_twice(
    store: Store,
) -> None:
    published = {
        intent.id
        for intent in await asyncio.gather(*(publish(store) for _ in range(50)))
    }

    got = await asyncio.gather(*(claim(store) for _ in range(50)))

    ids = [intent.id for intent in got if intent is not None]
    assert len(ids) == len(set(ids)) == 50
    assert set(ids) == published


async def test_more_claimers_than_intents_get_each_intent_once(store: Store) -> None:
    for visibility in ("private", "public"):
        for _ in range(10):
            await publish(store, visibility=visibility)

    got = await asyncio.gather(
        *(
            claim(store, claimer(owner=f"t{i % 3}" if i % 2 else "acme"))
            for i in range(60)
        )
    )

    ids = [intent.id for intent in got if intent is not None]
    assert len(ids) == len(set(ids))
    assert len(ids) == 20  # acme alone makes 30 claims and may see all 20
    stats = await store.intent_stats(NOW)
    assert stats.by_status["claimed"] == len(ids)


async def test_concurrent_publishes_and_failures_are_all_kept(store: Store) -> None:
    sent = await asyncio.gather(*(publish(store) for _ in range(40)))
    claimed = await asyncio.gather(*(claim(store) for _ in range(40)))

    async def settle(index: int) -> None:
        intent = claimed[index]
        assert intent is not None and intent.claim_token is not None
        if index % 2:
            await store.intent_fulfill(intent.id, intent.claim_token, b"1", "json", NOW)
        else:
            await store.intent_fail(
                intent.id, intent.claim_token, "x", lambda a, b: 100.0, NOW
            )

    await asyncio.gather(*(settle(i) for i in range(40)))
    stats = await store.intent_stats(NOW)
    assert stats.by_status["fulfilled"] == 20
    assert stats.by_status["open"] == 20
    assert len(sent) == 40
