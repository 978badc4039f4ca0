"""Contract: pauses are stored, idempotent, per owner, and claims skip the
paused intents (a whole namespace, or one goal of it) until they are lifted."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Pause, Store
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


async def test_pause_is_idempotent_and_listed_per_owner(store: Store) -> None:
    first = await store.pause_set("acme", "default", None, NOW)
    again = await store.pause_set("acme", "default", None, NOW + 5)
    await store.pause_set("acme", "default", "resize", NOW + 6)
    await store.pause_set("other", "default", None, NOW + 7)

    assert first == again == Pause("acme", "default", None, NOW)
    assert await store.pause_list("acme") == [
        Pause("acme", "default", None, NOW),
        Pause("acme", "default", "resize", NOW + 6),
    ]
    assert len(await store.pause_list(None)) == 3


async def test_clear_lifts_exactly_one_pause(store: Store) -> None:
    await store.pause_set("acme", "default", None, NOW)
    await store.pause_set("acme", "default", "resize", NOW)

    assert await store.pause_clear("acme", "default", "resize") is True
    assert await store.pause_clear("acme", "default", "resize") is False
    assert await store.pause_clear("other", "default", None) is False
    assert await store.pause_list("acme") == [Pause("acme", "default", None, NOW)]


async def test_claim_skips_a_paused_namespace_until_resumed(store: Store) -> None:
    sent = await publish(store)
    await store.pause_set("acme", "default", None, NOW)

    assert await claim(store) is None
    assert await claim(store, claimer(goal="resize")) is None

    await store.pause_clear("acme", "default", None)
    took = await claim(store)
    assert took is not None and took.id == sent.id


async def test_goal_pause_skips_only_that_goal(store: Store) -> None:
    await publish(store, goal="resize", priority=900)
    other = await publish(store, goal="email", priority=1)
    await store.pause_set("acme", "default", "resize", NOW)

    took = await claim(store)

    assert took is not None and took.id == other.id
    assert await claim(store, claimer(goal="resize")) is None


async def test_pause_of_the_publisher_applies_to_public_intents(store: Store) -> None:
    await publish(store, visibility="public", namespace="jobs")
    await store.pause_set("acme", "jobs", None, NOW)

    assert await claim(store, claimer(owner="someone", namespace="x")) is None
    assert await claim(store, claimer(owner="x", publisher="acme")) is None
    await store.pause_clear("acme", "jobs", None)
    assert await claim(store, claimer(owner="someone", namespace="x")) is not None


async def test_another_owners_pause_does_not_stop_my_claims(store: Store) -> None:
    await publish(store)
    await store.pause_set("other", "default", None, NOW)
    assert await claim(store) is not None
