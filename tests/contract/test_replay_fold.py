"""Contract: a signed request's nonce, deferred to the request's first store
operation (`replay.defer`), is recorded in that operation's transaction; a
replayed nonce refuses the operation whole, so the replay changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from intent_bus.storage import replay
from intent_bus.storage.base import Store
from tests.contract.conftest import NOW, claimer, lease, new_intent

pytestmark = pytest.mark.anyio


async def _as_request(
    store: Store, nonce: str, operation: Callable[[], Awaitable[Any]]
) -> Any:
    """Runs `operation` in a task of its own, as a signed request's handler does."""

    async def request() -> Any:
        if store.defers_nonces:
            replay.defer("key-1", nonce, NOW)
        elif not await store.nonce_remember("key-1", nonce, NOW):
            raise replay.Replayed("nonce already used")
        try:
            return await operation()
        finally:
            replay.clear()

    return await asyncio.create_task(request())


async def test_a_replayed_publish_is_refused_and_inserts_nothing(
    store: Store,
) -> None:
    first, second = new_intent(goal="once"), new_intent(goal="once")
    await _as_request(store, "n-1", lambda: store.intent_publish(first, None, NOW))
    with pytest.raises(replay.Replayed):
        await _as_request(store, "n-1", lambda: store.intent_publish(second, None, NOW))
    assert await store.intent_get(second.id, NOW) is None
    assert await store.nonce_remember("key-1", "n-1", NOW) is False


async def test_a_replayed_claim_and_fulfill_change_nothing(store: Store) -> None:
    sent = new_intent()
    await store.intent_publish(sent, None, NOW)
    got = await _as_request(
        store, "n-claim", lambda: store.intent_claim(claimer(), lease(), NOW)
    )
    assert got is not None and got.id == sent.id
    await store.intent_publish(new_intent(), None, NOW)
    with pytest.raises(replay.Replayed):
        await _as_request(
            store, "n-claim", lambda: store.intent_claim(claimer(), lease(), NOW)
        )
    with pytest.raises(replay.Replayed):
        await _as_request(
            store,
            "n-claim",
            lambda: store.intent_fulfill(sent.id, got.claim_token, b"1", "json", NOW),
        )
    still = await store.intent_get(sent.id, NOW)
    assert still is not None and still.status == "claimed"
    # The second intent was not leased by the refused claim.
    assert (await store.intent_claim(claimer(), lease(), NOW)) is not None


async def test_a_nonce_whose_operation_failed_is_pending_again(store: Store) -> None:
    """An operation that did not commit leaves the nonce unrecorded."""
    sent = new_intent()
    await store.intent_publish(sent, None, NOW)

    async def request() -> bool:
        replay.defer("key-1", "n-again", NOW)
        try:
            with pytest.raises(Exception):  # noqa: B017
                await store.intent_publish(sent, None, NOW)  # the id is taken
            return replay.take_pending() is not None
        finally:
            replay.clear()

    if store.defers_nonces:
        assert await asyncio.create_task(request()) is True
    assert await store.nonce_remember("key-1", "n-again", NOW) is True
