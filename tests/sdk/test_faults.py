"""Through a fault-injecting proxy: retries are safe, claims are never doubled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from intent_bus import IntentBusNetworkError, IntentClient
from intent_bus.sdk.retry import RetryPolicy
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient
from tests.sdk.faultproxy import FaultProxy, fault_proxy

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, max_total=20)


@pytest.fixture
def proxy(sqlite_server: ServerHandle) -> Iterator[FaultProxy]:
    with fault_proxy(sqlite_server.url) as running:
        yield running


@pytest.fixture
def direct(sqlite_server: ServerHandle, tenant_key: str) -> Iterator[IntentClient]:
    """A client that bypasses the proxy, to see the truth."""
    with IntentClient(sqlite_server.url, tenant_key) as client:
        yield client


@pytest.fixture
def faulty(make_client: MakeClient, proxy: FaultProxy) -> Any:
    return make_client(base_url=proxy.url, retry=FAST, timeout=2.0)


def open_intents(direct: IntentClient, namespace: str) -> list[Any]:
    taken = []
    while job := direct.claim(namespace=namespace):
        taken.append(job)
    return taken


def test_publish_retry_through_lost_responses_creates_one_intent(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    proxy.inject("/intent", "lose", "lose")
    job = faulty.publish("g", {"n": 1}, namespace="once")
    assert proxy.count("/intent") == 3
    taken = open_intents(direct, "once")
    assert [intent.id for intent in taken] == [job.id]


def test_publish_retry_through_drops_and_delays(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    proxy.inject("/intent", "drop", "delay:3", "lose")
    job = faulty.publish("g", {"n": 2}, namespace="drops")
    assert [intent.id for intent in open_intents(direct, "drops")] == [job.id]


def test_reads_recover(faulty: Any, proxy: FaultProxy, direct: IntentClient) -> None:
    job = direct.publish("g", 1, namespace="reads")
    direct.set("k", {"v": 1})
    proxy.inject("/status/", "drop", "lose", "delay:3")
    proxy.inject("/get/", "lose", "drop")
    proxy.inject("/result/", "drop")
    assert faulty.get_status(job.id).id == job.id
    assert faulty.get("k") == {"v": 1}
    assert faulty.get_result(job.id) is None


def test_kv_set_retried_through_a_lost_response(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    proxy.inject("/set/", "lose")
    faulty.set("k", [1, 2])
    assert direct.get("k") == [1, 2]


def test_claim_with_lost_response_is_not_repeated(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    first = direct.publish("g", 1, namespace="claims")
    second = direct.publish("g", 2, namespace="claims")
    proxy.inject("/claim", "lose")
    with pytest.raises(IntentBusNetworkError) as info:
        faulty.claim(namespace="claims")
    assert info.value.request_sent is True
    assert proxy.count("/claim") == 1
    # Exactly one lease was taken: one intent is claimed, the other still open.
    statuses = sorted(direct.get_status(i.id).status for i in (first, second))
    assert statuses == ["claimed", "open"]


def test_claim_dropped_before_arrival_takes_no_lease(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    job = direct.publish("g", 1, namespace="dropped")
    proxy.inject("/claim", "drop")
    with pytest.raises(IntentBusNetworkError):
        faulty.claim(namespace="dropped")
    assert proxy.count("/claim") == 0
    assert direct.get_status(job.id).status == "open"
    assert faulty.claim(namespace="dropped").id == job.id


def test_fulfill_through_a_lost_response_is_done_once(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    job = direct.publish("g", 1, namespace="fulfil")
    claimed = faulty.claim(namespace="fulfil")
    proxy.inject("/fulfill/", "lose")
    answer = faulty.fulfill(claimed.id, result={"ok": True})
    assert answer["status"] == "fulfilled"
    result = direct.get_result(job.id)
    assert result is not None and result.result == {"ok": True}
    assert proxy.count("/fulfill/") == 2


def test_extend_claim_recovers_from_a_drop(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    direct.publish("g", 1, namespace="extend")
    claimed = faulty.claim(namespace="extend")
    proxy.inject("/extend_claim/", "drop", "lose")
    assert faulty.extend_claim(claimed.id, seconds=120)["id"] == claimed.id
    faulty.fail(claimed.id, error="done testing")


def test_schedule_delete_through_a_lost_response_is_done(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    direct.set_schedule("lost", "0 * * * *", "g")
    proxy.inject("/schedules/", "lose")
    assert faulty.delete_schedule("lost") is None
    assert direct.list_schedules() == []


def test_schedule_trigger_with_lost_response_is_not_repeated(
    faulty: Any, proxy: FaultProxy, direct: IntentClient
) -> None:
    direct.set_schedule("once", "0 * * * *", "g", namespace="triggered")
    proxy.inject("/schedules/", "lose")
    with pytest.raises(IntentBusNetworkError):
        faulty.trigger_schedule("once")
    assert len(open_intents(direct, "triggered")) == 1
