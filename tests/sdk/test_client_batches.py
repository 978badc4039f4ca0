"""publish_many, claim_many and complete_many through both clients on a live
server (issue 13)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from intent_bus import (
    ClaimBatch,
    CompletionOutcome,
    IntentBusError,
    PublishOutcome,
)
from intent_bus.sdk import batch_calls


def ns() -> str:
    return "b" + uuid.uuid4().hex[:8]


def test_publish_many_then_claim_many_then_complete_many(client: Any) -> None:
    namespace = ns()
    published = client.publish_many(
        [
            {"goal": "g", "payload": {"i": i}, "namespace": namespace, "priority": i}
            for i in range(5)
        ]
    )
    assert all(isinstance(o, PublishOutcome) and o.ok for o in published)
    assert [o.outcome for o in published] == ["created"] * 5
    batch = client.claim_many(3, namespace=namespace)
    assert isinstance(batch, ClaimBatch) and len(batch) == 3
    assert [job.payload["i"] for job in batch] == [4, 3, 2]
    outcomes = client.complete_many(
        [
            {"id": batch[0].id, "result": "done", "result_type": "text"},
            {"id": batch[1], "error": "boom"},
            {"id": batch[2].id, "claim_token": "stale", "result": 1},
        ]
    )
    assert all(isinstance(o, CompletionOutcome) for o in outcomes)
    assert [o.status for o in outcomes[:2]] == ["fulfilled", "open"]
    assert not outcomes[2].ok and outcomes[2].error_code == "lease_lost"
    assert client.get_result(batch[0].id).result == "done"
    # The remembered token of the third still completes it.
    (last,) = client.complete_many([{"id": batch[2].id, "result": 2}])
    assert last.ok and last.status == "fulfilled"
    rest = client.claim_many(10, namespace=namespace)
    assert sorted(job.payload["i"] for job in rest) == [0, 1]
    empty = client.claim_many(10, namespace=ns())
    assert not empty and empty.status_code == 204


def test_publish_many_items_take_every_publish_argument(client: Any) -> None:
    """An item takes what `publish` takes, `concurrency_key` included."""
    (outcome,) = client.publish_many(
        [{"goal": "g", "namespace": ns(), "concurrency_key": "customer-7"}]
    )
    assert outcome.ok
    assert client.get_intent(outcome.id).concurrency_key == "customer-7"


def test_publish_many_keys_replay_and_conflict(client: Any) -> None:
    namespace = ns()
    item = {"goal": "g", "payload": 1, "namespace": namespace, "idempotency_key": "k"}
    first = client.publish_many([item])
    again = client.publish_many([item, {**item, "payload": 2}])
    assert again[0].outcome == "replayed" and again[0].id == first[0].id
    assert again[1].outcome == "error" and again[1].error_code == "conflict"
    single = client.publish("g", 1, namespace=namespace, idempotency_key="k")
    assert single.id == first[0].id


def test_publish_many_checks_every_item_before_sending(client: Any) -> None:
    namespace = ns()
    with pytest.raises(IntentBusError):
        client.publish_many([{"goal": "ok", "namespace": namespace}, {"goal": ""}])
    with pytest.raises(IntentBusError):
        client.publish_many([{"goal": "ok", "colour": "red"}])
    assert not client.claim_many(5, namespace=namespace)


def test_publish_many_splits_big_batches(client: Any) -> None:
    namespace = ns()
    big = "x" * 20_000
    intents = [{"goal": "g", "payload": big, "namespace": namespace}] * 12
    outcomes = client.publish_many(intents)
    assert len(outcomes) == 12 and all(o.ok for o in outcomes)
    many = client.publish_many(
        [{"goal": "s", "namespace": namespace} for _ in range(2500)]
    )
    assert len({o.id for o in many}) == 2500


def test_chunks_respect_count_and_size() -> None:
    items = [({}, b"x" * 10)] * 25
    assert [len(c) for c in batch_calls.chunks(items, 10)] == [10, 10, 5]
    large = [({}, b"x" * (batch_calls.BATCH_BODY_BUDGET - 5))] * 3
    assert [len(c) for c in batch_calls.chunks(large, 10)] == [1, 1, 1]


def test_claim_many_checks_max(client: Any) -> None:
    for bad in (0, 101, "3"):
        with pytest.raises(IntentBusError):
            client.claim_many(bad)
