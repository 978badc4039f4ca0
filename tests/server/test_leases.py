"""Fulfill, fail, extend_claim, lease expiry, backoff and dead-lettering."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def poll(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Returns the first truthy result of `check`, failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_fulfill_completes_the_intent(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    response = tenant.post(
        f"/fulfill/{job['id']}", {"claim_token": lease["claim_token"], "result": [1]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == job["id"] and body["status"] == "fulfilled"
    assert body["completed_at"] == pytest.approx(time.time(), abs=5)


def test_text_result_must_be_a_string(tenant: Api) -> None:
    tenant.publish()
    lease = tenant.claim_ok()
    bad = tenant.post(
        f"/fulfill/{lease['id']}",
        {"claim_token": lease["claim_token"], "result_type": "text", "result": 5},
    )
    assert bad.status_code == 400 and "result" in bad.json()["error"]["message"]
    wrong_type = tenant.post(
        f"/fulfill/{lease['id']}",
        {"claim_token": lease["claim_token"], "result_type": "xml"},
    )
    assert wrong_type.status_code == 400
    assert "result_type" in wrong_type.json()["error"]["message"]


@pytest.mark.parametrize("action", ["fulfill", "fail", "extend_claim"])
def test_lease_operations_need_the_current_token(tenant: Api, action: str) -> None:
    tenant.publish()
    lease = tenant.claim_ok()
    wrong = tenant.post(f"/{action}/{lease['id']}", {"claim_token": "guess"})
    assert wrong.status_code == 404 and error_code(wrong) == "lease_lost"
    unknown = tenant.post(
        f"/{action}/{'0' * 32}", {"claim_token": lease["claim_token"]}
    )
    assert unknown.status_code == 404 and error_code(unknown) == "lease_lost"
    missing = tenant.post(f"/{action}/{lease['id']}", {})
    assert missing.status_code == 400
    assert "claim_token" in missing.json()["error"]["message"]


def test_terminal_intent_cannot_be_fulfilled_again(tenant: Api) -> None:
    """Only a repeat of the very same fulfill is answered (issue 14, item 2: a
    retry after a lost answer); another result from that token is lease_lost."""
    tenant.publish()
    lease = tenant.claim_ok()
    body = {"claim_token": lease["claim_token"], "result": 1}
    first = tenant.post(f"/fulfill/{lease['id']}", body)
    assert first.status_code == 200
    repeat = tenant.post(f"/fulfill/{lease['id']}", body)
    assert repeat.status_code == 200 and repeat.json() == first.json()
    other = tenant.post(f"/fulfill/{lease['id']}", {**body, "result": 2})
    assert other.status_code == 404 and error_code(other) == "lease_lost"
    failed = tenant.post(f"/fail/{lease['id']}", {**body, "error": "x"})
    assert failed.status_code == 404 and error_code(failed) == "lease_lost"
    assert tenant.get(f"/result/{lease['id']}").json()["result"] == 1


def test_fail_reopens_with_backoff_within_the_jitter_bound(tenant: Api) -> None:
    job = tenant.publish(backoff_base=100.0)
    failed_at = time.time()
    lease = tenant.claim_ok()
    response = tenant.post(
        f"/fail/{job['id']}", {"claim_token": lease["claim_token"], "error": "boom"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open" and body["claim_attempts"] == 1
    assert body["max_attempts"] == 3
    # Full jitter over backoff_base * 2**(attempts-1) = 100 s.
    assert failed_at - 1 <= body["run_at"] <= time.time() + 100 + 1
    status = tenant.get(f"/status/{job['id']}").json()
    assert status["status"] == "open" and status["error"] == "boom"


def _claim_and_fail(tenant: Api, error: str = "x") -> dict[str, Any]:
    lease = poll(lambda: (r := tenant.claim()).status_code == 200 and r.json())
    response = tenant.post(
        f"/fail/{lease['id']}", {"claim_token": lease["claim_token"], "error": error}
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_retries_until_dead_then_result_shows_the_error(tenant: Api) -> None:
    job = tenant.publish(max_attempts=3, backoff_base=0.05)
    statuses = []
    for attempt in (1, 2, 3):
        before = time.time()
        body = _claim_and_fail(tenant, f"failure {attempt}")
        statuses.append(body["status"])
        if body["status"] == "open":
            # backoff_base * 2**(attempt-1), full jitter
            assert body["run_at"] <= before + 0.05 * 2 ** (attempt - 1) + 1
    assert statuses == ["open", "open", "dead"]
    result = tenant.get(f"/result/{job['id']}")
    assert result.status_code == 200
    view = result.json()
    assert view["status"] == "dead" and view["error"] == "failure 3"
    assert view["claim_attempts"] == 3 and view["completed_at"] is not None
    assert tenant.claim().status_code == 204


def test_error_text_is_truncated(tenant: Api) -> None:
    job = tenant.publish(max_attempts=1)
    _claim_and_fail(tenant, "e" * 5000)
    assert len(tenant.get(f"/status/{job['id']}").json()["error"]) == 2000


def test_extend_claim_moves_the_lease_and_is_capped(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(max_lease_seconds=120)
    tenant = clients(server)
    tenant.publish()
    lease = tenant.claim_ok()
    token = {"claim_token": lease["claim_token"]}
    extended = tenant.post(f"/extend_claim/{lease['id']}", {**token, "seconds": 90})
    assert extended.status_code == 200
    body = extended.json()
    assert body["id"] == lease["id"] and body["claim_timeout"] == 90
    assert body["lease_expires_at"] == pytest.approx(time.time() + 90, abs=5)
    capped = tenant.post(f"/extend_claim/{lease['id']}", {**token, "seconds": 9999})
    assert capped.json()["claim_timeout"] == 120
    bad = tenant.post(f"/extend_claim/{lease['id']}", {**token, "seconds": 0})
    assert bad.status_code == 400 and "seconds" in bad.json()["error"]["message"]


def test_expired_lease_is_reclaimable_and_old_token_is_lost(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(claim_timeout=1)
    tenant = clients(server)
    job = tenant.publish()
    first = tenant.claim_ok()
    assert first["claim_timeout"] == 1
    second = poll(lambda: (r := tenant.claim()).status_code == 200 and r.json())
    assert second["id"] == job["id"] and second["claim_attempts"] == 2
    stale = tenant.post(f"/fulfill/{job['id']}", {"claim_token": first["claim_token"]})
    assert stale.status_code == 404 and error_code(stale) == "lease_lost"
    fresh = tenant.post(f"/fulfill/{job['id']}", {"claim_token": second["claim_token"]})
    assert fresh.status_code == 200


def test_extend_keeps_a_lease_alive_past_the_claim_timeout(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(claim_timeout=1)
    tenant = clients(server)
    tenant.publish()
    lease = tenant.claim_ok()
    token = {"claim_token": lease["claim_token"]}
    assert tenant.post(
        f"/extend_claim/{lease['id']}", {**token, "seconds": 30}
    ).is_success
    time.sleep(1.5)
    assert tenant.claim().status_code == 204
    assert tenant.post(f"/fulfill/{lease['id']}", token).status_code == 200


def test_expired_lease_with_attempts_spent_shows_dead_within_2_seconds(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(claim_timeout=1, housekeeping_interval=3600)
    tenant = clients(server)
    job = tenant.publish(max_attempts=1)
    lease = tenant.claim_ok()
    expired_at = lease["lease_expires_at"]
    while time.time() < expired_at:
        time.sleep(0.05)
    # Housekeeping is off here: the status read itself must settle the lease.
    view = tenant.get(f"/status/{job['id']}").json()
    assert view["status"] == "dead"
    assert view["error"] == "lease expired"
    assert time.time() - expired_at < 2


def test_housekeeping_reaps_expired_leases_and_wakes_long_polls(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(claim_timeout=1, housekeeping_interval=0.2)
    tenant = clients(server)
    job = tenant.publish(max_attempts=2)
    tenant.claim_ok()
    started = time.monotonic()
    again = tenant.claim("wait=10")
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert time.monotonic() - started < 5
