"""Through a fault-injecting proxy, on both backends: a fulfill or fail whose
answer is lost is retried by the SDK and answered with the stored outcome
(issue 14, item 2); a stale token is still refused with lease_lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intent_bus import IntentClient
from intent_bus.sdk.exceptions import IntentBusLeaseLostError
from intent_bus.sdk.retry import RetryPolicy
from tests.harness import ServerHandle
from tests.sdk.faultproxy import FaultProxy, fault_proxy

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, max_total=20)


@pytest.fixture
def key(server: ServerHandle) -> str:
    return server.create_tenant()


@pytest.fixture
def proxy(server: ServerHandle) -> Iterator[FaultProxy]:
    with fault_proxy(server.url) as running:
        yield running


@pytest.fixture
def direct(server: ServerHandle, key: str) -> Iterator[IntentClient]:
    with IntentClient(server.url, key) as client:
        yield client


@pytest.fixture
def faulty(proxy: FaultProxy, key: str) -> Iterator[IntentClient]:
    with IntentClient(proxy.url, key, retry=FAST, timeout=2.0) as client:
        yield client


def test_fulfill_whose_answer_is_lost_ends_200_and_consistent(
    faulty: IntentClient, proxy: FaultProxy, direct: IntentClient
) -> None:
    job = direct.publish("g", 1, namespace="fulfil")
    claimed = faulty.claim(namespace="fulfil")
    assert claimed is not None
    proxy.inject("/fulfill/", "lose", "lose")
    answer = faulty.fulfill(claimed.id, result={"ok": True})
    assert proxy.count("/fulfill/") == 3
    assert answer["status"] == "fulfilled" and "uncertain" not in answer
    result = direct.get_result(job.id)
    assert result is not None and result.status == "fulfilled"
    assert result.result == {"ok": True}
    assert result.completed_at == answer["completed_at"]


def test_fail_whose_answer_is_lost_ends_200_and_consistent(
    faulty: IntentClient, proxy: FaultProxy, direct: IntentClient
) -> None:
    job = direct.publish("g", 1, namespace="failing", max_attempts=2)
    claimed = faulty.claim(namespace="failing")
    assert claimed is not None
    proxy.inject("/fail/", "lose")
    answer = faulty.fail(claimed.id, error="boom")
    assert proxy.count("/fail/") == 2
    assert answer["status"] == "open" and "uncertain" not in answer
    status = direct.get_status(job.id)
    assert (status.status, status.error, status.claim_attempts) == ("open", "boom", 1)
    assert status.run_at == answer["run_at"]


def test_a_lost_lease_is_reported_as_lost(
    faulty: IntentClient, proxy: FaultProxy, direct: IntentClient, key: str
) -> None:
    """The old SDK called a 404 after a retry "fulfilled (uncertain)"; now that
    genuine retries get 200, a 404 is the truth and raises."""
    direct.publish("g", 1, namespace="lost")
    claimed = faulty.claim(namespace="lost")
    assert claimed is not None
    # Another client holding the same token completes it first, differently.
    direct.fulfill(claimed.id, result=1, claim_token=claimed.claim_token)
    proxy.inject("/fulfill/", "lose")
    with pytest.raises(IntentBusLeaseLostError):
        faulty.fulfill(claimed.id, result=2)
