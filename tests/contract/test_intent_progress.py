"""Contract: progress and checkpoints saved with a lease extension, handed to
the next claim, cleared by fulfilling, kept by fail, death and requeue, and
purged with their intent."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Intent, Poll, ProgressReport, Store
from intent_bus.storage.errors import LeaseLost
from tests.contract.conftest import NOW, claimer, lease, publish

pytestmark = pytest.mark.anyio

STEP_2 = ProgressReport(progress=b"0.5", checkpoint=b'{"step":2}')


async def poll(store: Store, now: float = NOW) -> Poll:
    """A claim as the server makes it (intent_poll), with a 60 s lease."""
    return await store.intent_poll(claimer(), lease(now + 60), now)


async def polled(store: Store, now: float = NOW) -> tuple[Intent, str]:
    got = (await poll(store, now)).intent
    assert got is not None and got.claim_token is not None
    return got, got.claim_token


async def extend(
    store: Store, got: Intent, token: str, report: ProgressReport, now: float = NOW
) -> Intent:
    return await store.intent_extend(got.id, token, now + 60, now, report=report)


async def test_a_claim_of_a_fresh_intent_has_no_checkpoint(store: Store) -> None:
    await publish(store)
    first = await poll(store)
    assert first.intent is not None and first.checkpoint is None
    assert await store.intent_progress_get(first.intent.id) is None


async def test_extend_saves_progress_and_checkpoint(store: Store) -> None:
    await publish(store)
    got, token = await polled(store)
    extended = await extend(store, got, token, STEP_2, NOW + 1)
    assert extended.lease_expires_at == NOW + 61
    saved = await store.intent_progress_get(got.id)
    assert saved is not None
    assert (saved.progress, saved.checkpoint, saved.updated_at) == (
        b"0.5",
        b'{"step":2}',
        NOW + 1,
    )


async def test_a_report_without_a_field_keeps_the_saved_one(store: Store) -> None:
    await publish(store)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    await extend(store, got, token, ProgressReport(progress=b'"almost"'), NOW + 2)
    saved = await store.intent_progress_get(got.id)
    assert saved is not None
    assert (saved.progress, saved.checkpoint) == (b'"almost"', b'{"step":2}')
    await extend(store, got, token, ProgressReport(checkpoint=b"[3]"), NOW + 3)
    saved = await store.intent_progress_get(got.id)
    assert saved is not None and (saved.progress, saved.checkpoint) == (
        b'"almost"',
        b"[3]",
    )


async def test_a_stale_token_saves_nothing(store: Store) -> None:
    await publish(store)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    with pytest.raises(LeaseLost):
        await extend(store, got, "not-the-token", ProgressReport(b"0.9", b"9"))
    saved = await store.intent_progress_get(got.id)
    assert saved is not None and saved.checkpoint == b'{"step":2}'
    stored = await store.intent_get(got.id, NOW)
    assert stored is not None and stored.lease_expires_at == NOW + 60


async def test_an_expired_lease_saves_nothing(store: Store) -> None:
    await publish(store)
    got, token = await polled(store)
    with pytest.raises(LeaseLost):
        await extend(store, got, token, STEP_2, NOW + 61)
    assert await store.intent_progress_get(got.id) is None


async def test_the_next_claim_after_a_fail_gets_the_checkpoint(store: Store) -> None:
    await publish(store)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    await store.intent_fail(got.id, token, "boom", lambda _a, _b: 0.0, NOW + 1)
    again = await poll(store, NOW + 2)
    assert again.intent is not None and again.intent.id == got.id
    assert again.checkpoint == b'{"step":2}'
    assert again.intent.claim_attempts == 2


async def test_the_next_claim_after_a_lost_lease_gets_the_checkpoint(
    store: Store,
) -> None:
    await publish(store)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    # The holder vanished: its lease (NOW + 60) runs out and a claim settles it.
    again = await poll(store, NOW + 61)
    assert again.intent is not None and again.intent.id == got.id
    assert again.checkpoint == b'{"step":2}'


async def test_fulfilling_clears_progress_and_checkpoint(store: Store) -> None:
    await publish(store)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    await store.intent_fulfill(got.id, token, b"1", "json", NOW + 1)
    assert await store.intent_progress_get(got.id) is None


async def test_death_and_requeue_keep_the_checkpoint(store: Store) -> None:
    await publish(store, max_attempts=1)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    dead = await store.intent_fail(got.id, token, "boom", lambda _a, _b: 0.0, NOW)
    assert dead.status == "dead"
    assert await store.intent_progress_get(got.id) is not None
    await store.intent_requeue(got.id, NOW + 1)
    again = await poll(store, NOW + 2)
    assert again.intent is not None and again.checkpoint == b'{"step":2}'


async def test_purging_the_intent_removes_its_progress(store: Store) -> None:
    await publish(store, max_attempts=1)
    got, token = await polled(store)
    await extend(store, got, token, STEP_2)
    await store.intent_fail(got.id, token, "boom", lambda _a, _b: 0.0, NOW)
    assert await store.intent_purge(NOW + 1) == 1
    assert await store.intent_progress_get(got.id) is None
    # A new intent (whatever seq it gets) starts with nothing saved.
    await publish(store)
    assert (await poll(store, NOW + 2)).checkpoint is None


async def test_checkpoints_belong_to_their_intent(store: Store) -> None:
    await publish(store, priority=200)
    await publish(store, priority=100)
    first, token = await polled(store)
    await extend(store, first, token, STEP_2)
    second = await poll(store)
    assert second.intent is not None and second.intent.id != first.id
    assert second.checkpoint is None
