"""Publish, claim and the lease lifecycle through both clients on a live server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from intent_bus import (
    ClaimResponse,
    IntentBusError,
    IntentBusLeaseLostError,
    IntentBusNetworkError,
    IntentClient,
    IntentResult,
    IntentStatus,
)
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient


def drain(client: Any, namespace: str, goal: str | None = None) -> list[Any]:
    """Claims until there is no work; returns the claimed intents."""
    taken = []
    while job := client.claim(goal=goal, namespace=namespace):
        taken.append(job)
    return taken


def test_publish_returns_status_with_defaults(client: Any) -> None:
    job = client.publish("process_image", {"url": "s3://bucket/image1.png"})
    assert isinstance(job, IntentStatus)
    assert len(job.id) == 32
    assert (job.status, job.goal, job.namespace) == ("open", "process_image", "default")
    assert (job.priority, job.max_attempts, job.claim_attempts) == (100, 3, 0)
    assert job.visibility == "private"


def test_publish_with_every_option(client: Any) -> None:
    job = client.publish(
        goal="train_model",
        payload={"epochs": 50},
        namespace="ml",
        priority=999,
        delay=3600.0,
        required_capability="a100_gpu",
        target_worker="node-alpha-01",
        max_attempts=5,
        backoff_base=2.0,
    )
    assert job.priority == 999 and job.max_attempts == 5
    assert job.target_worker == "node-alpha-01"
    assert job.required_capability == "a100_gpu"
    assert job.run_at is not None and job.created_at is not None
    assert job.run_at - job.created_at == pytest.approx(3600.0, abs=1.0)
    # Delayed an hour: nobody may take it yet.
    assert not client.claim(
        namespace="ml", worker_id="node-alpha-01", capabilities=["a100_gpu"]
    )


def test_same_idempotency_key_publishes_once(client: Any) -> None:
    first = client.publish("g", {"n": 1}, namespace="idem", idempotency_key="k-1")
    again = client.publish("g", {"n": 1}, namespace="idem", idempotency_key="k-1")
    assert first.id == again.id
    with pytest.raises(IntentBusError) as info:
        client.publish("g", {"n": 2}, namespace="idem", idempotency_key="k-1")
    assert (info.value.status_code, info.value.code) == (409, "conflict")
    assert len(drain(client, "idem")) == 1


def test_invalid_arguments_fail_before_anything_is_sent(
    make_client: MakeClient,
) -> None:
    # A closed port: were anything sent, this would be a network error.
    offline = make_client(base_url="http://127.0.0.1:9")
    with pytest.raises(IntentBusError, match="priority") as info:
        offline.publish("g", {}, priority=5000)
    assert not isinstance(info.value, IntentBusNetworkError)
    with pytest.raises(IntentBusError, match="NaN or Infinity"):
        offline.publish("g", {"score": float("nan")})
    with pytest.raises(IntentBusError, match="NaN or Infinity"):
        offline.set("k", [float("inf")])
    with pytest.raises(IntentBusError, match="wait"):
        offline.claim(wait=60)


def test_nan_payload_creates_nothing(client: Any) -> None:
    with pytest.raises(IntentBusError):
        client.publish("g", {"x": float("inf")}, namespace="strict")
    assert not client.claim(namespace="strict")


def test_claim_passes_attributes_through(client: Any) -> None:
    job = client.publish("encode", {"file": "a.mp4"}, namespace="media")
    claimed = client.claim(goal="encode", namespace="media", worker_id="w1")
    assert isinstance(claimed, ClaimResponse) and claimed
    assert claimed.status_code == 200
    assert (claimed.id, claimed.payload, claimed.goal) == (
        job.id,
        {"file": "a.mp4"},
        "encode",
    )
    assert claimed.claim_token and claimed.claim_attempts == 1
    assert claimed.claim_timeout == 60.0
    assert client.get_status(job.id).status == "claimed"


def test_no_work_is_falsy_with_server_backoff(client: Any) -> None:
    nothing = client.claim(goal="nothing", namespace="empty")
    assert not nothing
    assert nothing.status_code == 204
    assert nothing.retry_after is not None and nothing.retry_after > 0


def test_claim_honours_priority_namespace_and_goal(client: Any) -> None:
    low = client.publish("g", 1, namespace="prio", priority=1)
    high = client.publish("g", 2, namespace="prio", priority=900)
    client.publish("other", 3, namespace="prio")
    client.publish("g", 4, namespace="elsewhere")
    taken = drain(client, "prio", goal="g")
    assert [job.id for job in taken] == [high.id, low.id]


def test_target_worker_and_capabilities_route(client: Any) -> None:
    targeted = client.publish("t", {}, namespace="route", target_worker="node-a")
    gpu = client.publish("t", {}, namespace="route", required_capability="gpu")
    assert not client.claim(namespace="route", worker_id="node-b", capabilities="gpu2")
    by_cap = client.claim(namespace="route", worker_id="node-b", capabilities=["gpu"])
    assert by_cap.id == gpu.id
    by_target = client.claim(namespace="route", worker_id="node-a")
    assert by_target.id == targeted.id


def test_public_intents_and_publisher_filter(
    make_client: MakeClient, sqlite_server: ServerHandle
) -> None:
    alice = make_client(api_key=sqlite_server.create_tenant("alice"))
    bob = make_client(api_key=sqlite_server.create_tenant("bob"))
    private = alice.publish("send_email", {"to": "a"}, namespace="comms")
    public = alice.publish("send_email", {"to": "b"}, namespace="comms", public=True)
    assert public.visibility == "public"
    assert not bob.claim(goal="send_email", namespace="comms", publisher="bob")
    taken = bob.claim(goal="send_email", namespace="other", publisher="alice")
    assert taken.id == public.id
    assert not bob.claim(goal="send_email", namespace="comms")
    assert alice.claim(goal="send_email", namespace="comms").id == private.id


def test_lifecycle_without_tokens_as_the_readme_shows(client: Any) -> None:
    job = client.publish("encode", {"n": 1}, namespace="media")
    claimed = client.claim(goal="encode", namespace="media")
    extended = client.extend_claim(claimed.id, seconds=300)
    assert extended["claim_timeout"] == pytest.approx(300, abs=1)
    assert client.get_status(job.id).lease_expires_at == pytest.approx(
        time.time() + 300, abs=30
    )
    done = client.fulfill(claimed.id, result="Done", result_type="text")
    assert done["status"] == "fulfilled"
    result = client.get_result(job.id)
    assert isinstance(result, IntentResult)
    assert (result.status, result.result, result.result_type) == (
        "fulfilled",
        "Done",
        "text",
    )
    assert result.completed_at is not None
    # The lease is forgotten once the intent is finished.
    with pytest.raises(IntentBusError, match="pass claim_token"):
        client.fulfill(claimed.id, result=1)


def test_json_result_round_trips(client: Any) -> None:
    job = client.publish("g", 1, namespace="res")
    claimed = client.claim(namespace="res")
    client.fulfill(claimed, result={"status": "done", "items": [1, 2.5, None, True]})
    result = client.wait_for_result(job.id, timeout=10, poll_interval=0.05)
    assert result.result == {"status": "done", "items": [1, 2.5, None, True]}
    assert result.result_type == "json"


def test_fulfill_refuses_unpacked_dicts(client: Any) -> None:
    client.publish("g", 1, namespace="v1")
    claimed = client.claim(namespace="v1")
    with pytest.raises(TypeError):
        client.fulfill(claimed.id, **{"status": "done"})
    client.fulfill(claimed.id, result={"status": "done"})


def test_explicit_token_works_from_another_client(
    client: Any, make_client: MakeClient
) -> None:
    job = client.publish("g", 1, namespace="tok")
    claimed = client.claim(namespace="tok")
    other = make_client()
    with pytest.raises(IntentBusError, match="pass claim_token"):
        other.extend_claim(claimed.id)
    other.extend_claim(claimed.id, 120, claim_token=claimed.claim_token)
    other.fail(claimed.id, error="nope", claim_token=claimed.claim_token)
    assert client.get_status(job.id).status == "open"


def test_fail_requeues_then_dead_letters(client: Any) -> None:
    job = client.publish("g", 1, namespace="f", max_attempts=2, backoff_base=0.05)
    first = client.claim(namespace="f")
    answer = client.fail(first.id, error="boom")
    assert answer["status"] == "open"
    status = client.get_status(job.id)
    assert (status.status, status.error, status.claim_attempts) == ("open", "boom", 1)
    deadline = time.monotonic() + 10
    while not (second := client.claim(namespace="f")):
        assert time.monotonic() < deadline, "requeued intent never became due"
        time.sleep(0.05)
    assert client.fail(second, error="boom again")["status"] == "dead"
    result = client.get_result(job.id)
    assert (result.status, result.error) == ("dead", "boom again")


def test_lease_lost_after_a_wrong_token_or_finished_intent(client: Any) -> None:
    client.publish("g", 1, namespace="lost")
    claimed = client.claim(namespace="lost")
    operations: list[Callable[[], Any]] = [
        lambda: client.fulfill(claimed.id, result=1, claim_token="wrong"),
        lambda: client.fail(claimed.id, error="x", claim_token="wrong"),
        lambda: client.extend_claim(claimed.id, claim_token="wrong"),
    ]
    for operation in operations:
        with pytest.raises(IntentBusLeaseLostError) as info:
            operation()
        assert (info.value.status_code, info.value.code) == (404, "lease_lost")
    client.fulfill(claimed.id, result=1)
    with pytest.raises(IntentBusLeaseLostError):
        client.fulfill(claimed.id, result=2, claim_token=claimed.claim_token)


def test_status_of_unknown_intent_is_not_found(client: Any) -> None:
    with pytest.raises(IntentBusError) as info:
        client.get_status("0" * 32)
    assert (info.value.status_code, info.value.code) == (404, "not_found")
    with pytest.raises(IntentBusError):
        client.get_result("0" * 32)


def test_get_result_is_none_until_finished_and_wait_times_out(client: Any) -> None:
    job = client.publish("g", 1, namespace="wait")
    assert client.get_result(job.id) is None
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.wait_for_result(job.id, timeout=0.3, poll_interval=0.05)
    assert time.monotonic() - started < 5


def test_long_poll_claim_wakes_on_publish(
    client: Any, sqlite_server: ServerHandle, tenant_key: str
) -> None:
    def publish_later() -> None:
        time.sleep(0.3)
        with IntentClient(sqlite_server.url, tenant_key) as publisher:
            publisher.publish("lp", {"x": 1}, namespace="longpoll")

    thread = threading.Thread(target=publish_later)
    started = time.monotonic()
    thread.start()
    job = client.claim(goal="lp", namespace="longpoll", wait=10)
    thread.join()
    assert job and job.payload == {"x": 1}
    assert time.monotonic() - started < 8
