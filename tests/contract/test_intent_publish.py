"""Contract: publishing intents, idempotent replay and conflicts."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Idempotency, Store, StoredResponse
from intent_bus.storage.errors import Conflict
from tests.contract.conftest import NOW, new_intent, publish

pytestmark = pytest.mark.anyio


async def test_published_intent_reads_back_open_with_every_field(store: Store) -> None:
    sent = await publish(
        store,
        payload=b'{"nested":[1,2,{"x":null}],"s":"\\u00e9"}',
        namespace="media",
        visibility="public",
        priority=7,
        run_at=NOW + 30,
        max_attempts=5,
        backoff_base=0.5,
        target_worker="box-1",
        required_capability="gpu",
    )
    got = await store.intent_get(sent.id, NOW)
    assert got is not None
    assert got.payload == sent.payload
    assert isinstance(got.payload, bytes)
    assert (got.id, got.owner, got.goal, got.namespace) == (
        sent.id,
        "acme",
        "resize",
        "media",
    )
    assert (got.visibility, got.priority, got.run_at, got.created_at) == (
        "public",
        7,
        NOW + 30,
        NOW,
    )
    assert (got.max_attempts, got.backoff_base) == (5, 0.5)
    assert (got.target_worker, got.required_capability) == ("box-1", "gpu")
    assert (got.status, got.claim_attempts, got.claim_token) == ("open", 0, None)
    assert got.lease_expires_at is None and got.completed_at is None
    assert got.result is None and got.result_type is None and got.error is None


async def test_whole_number_times_come_back_as_floats(store: Store) -> None:
    sent = await publish(store, run_at=NOW, backoff_base=5.0)
    got = await store.intent_get(sent.id, NOW)
    assert got is not None
    assert isinstance(got.run_at, float) and isinstance(got.backoff_base, float)


async def test_get_of_unknown_intent_is_none(store: Store) -> None:
    assert await store.intent_get("0" * 32, NOW) is None


async def test_same_idempotency_key_and_body_replays_the_first_response(
    store: Store,
) -> None:
    record = Idempotency("key-1", "idem-1", "hash-a", 201, b'{"id":"first"}')
    first = new_intent()
    assert await store.intent_publish(first, record, NOW) is None

    retry = new_intent()  # a retry gets a new id from the server; it must not land
    replay = await store.intent_publish(retry, record, NOW + 1)

    assert replay == StoredResponse(201, b'{"id":"first"}')
    assert isinstance(replay.body, bytes)
    assert await store.intent_get(first.id, NOW) is not None
    assert await store.intent_get(retry.id, NOW) is None


async def test_same_idempotency_key_with_another_body_conflicts(store: Store) -> None:
    await store.intent_publish(
        new_intent(), Idempotency("key-1", "idem-1", "hash-a", 201, b"{}"), NOW
    )
    other = new_intent()
    with pytest.raises(Conflict):
        await store.intent_publish(
            other, Idempotency("key-1", "idem-1", "hash-b", 201, b"{}"), NOW
        )
    assert await store.intent_get(other.id, NOW) is None


async def test_idempotency_keys_are_scoped_per_api_key(store: Store) -> None:
    a, b = new_intent(), new_intent()
    assert (
        await store.intent_publish(a, Idempotency("key-1", "k", "h", 201, b"a"), NOW)
        is None
    )
    assert (
        await store.intent_publish(b, Idempotency("key-2", "k", "h", 201, b"b"), NOW)
        is None
    )
    assert await store.intent_get(b.id, NOW) is not None


async def test_idempotency_purge_forgets_old_records_only(store: Store) -> None:
    old, recent = new_intent(), new_intent()
    await store.intent_publish(old, Idempotency("k", "old", "h", 201, b"o"), NOW)
    await store.intent_publish(
        recent, Idempotency("k", "recent", "h", 201, b"r"), NOW + 100
    )

    assert await store.idempotency_purge(NOW + 50) == 1

    again = new_intent()
    assert (
        await store.intent_publish(again, Idempotency("k", "old", "h", 201, b"2"), NOW)
        is None
    )
    assert await store.intent_get(again.id, NOW) is not None
    replay = await store.intent_publish(
        new_intent(), Idempotency("k", "recent", "h", 201, b"x"), NOW + 101
    )
    assert replay == StoredResponse(201, b"r")
