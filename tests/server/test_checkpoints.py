"""Progress and checkpoints over real HTTP: saved with /extend_claim by the
lease holder only, shown by /status, /result and /intents/{id}, handed to the
next claim, refused (changing nothing) when too large or out of range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def extend(api: Api, lease: dict[str, Any], **fields: Any) -> Any:
    body = {"claim_token": lease["claim_token"], "seconds": 30, **fields}
    return api.post(f"/extend_claim/{lease['id']}", body)


def fail(api: Api, lease: dict[str, Any]) -> None:
    response = api.post(
        f"/fail/{lease['id']}", {"claim_token": lease["claim_token"], "error": "x"}
    )
    assert response.status_code == 200, response.text


def test_the_next_claim_after_a_failure_resumes_from_the_checkpoint(
    tenant: Api,
) -> None:
    job = tenant.publish(backoff_base=0.001)
    first = tenant.claim_ok()
    assert "checkpoint" not in first
    response = extend(tenant, first, progress=0.4, checkpoint={"step": 2})
    assert response.status_code == 200, response.text
    assert tenant.get(f"/status/{job['id']}").json()["progress"] == 0.4

    fail(tenant, first)
    second = tenant.claim_ok()

    assert second["id"] == job["id"] and second["checkpoint"] == {"step": 2}
    assert second["claim_attempts"] == 2


def test_progress_may_be_text_and_a_report_keeps_what_it_omits(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    assert extend(tenant, lease, checkpoint=[1, "a"]).status_code == 200
    assert extend(tenant, lease, progress="3 of 7 pages").status_code == 200

    status = tenant.get(f"/status/{job['id']}").json()
    detail = tenant.get(f"/intents/{job['id']}").json()

    assert status["progress"] == "3 of 7 pages"
    assert detail["progress"] == "3 of 7 pages"
    assert detail["checkpoint_bytes"] == len(b'[1,"a"]')
    assert detail["progress_at"] is not None
    assert tenant.get(f"/result/{job['id']}").json()["progress"] == "3 of 7 pages"


def test_a_stale_token_changes_nothing(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    assert extend(tenant, lease, progress=0.5, checkpoint={"a": 1}).status_code == 200

    stale = {**lease, "claim_token": "not-the-token"}
    response = extend(tenant, stale, progress=0.9, checkpoint={"a": 2})

    assert response.status_code == 404 and error_code(response) == "lease_lost"
    assert tenant.get(f"/status/{job['id']}").json()["progress"] == 0.5
    assert tenant.get(f"/intents/{job['id']}").json()["checkpoint_bytes"] == 7


def test_fulfilling_clears_progress_and_checkpoint(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    extend(tenant, lease, progress=0.5, checkpoint={"a": 1})
    done = tenant.post(
        f"/fulfill/{job['id']}", {"claim_token": lease["claim_token"], "result": 1}
    )
    assert done.status_code == 200

    status = tenant.get(f"/status/{job['id']}").json()
    detail = tenant.get(f"/intents/{job['id']}").json()

    assert "progress" not in status
    assert (detail["progress_at"], detail["checkpoint_bytes"]) == (None, None)


def test_a_requeued_dead_intent_resumes_from_its_checkpoint(
    tenant: Api, admin: Api
) -> None:
    job = tenant.publish(max_attempts=1)
    lease = tenant.claim_ok()
    extend(tenant, lease, checkpoint={"step": 5})
    fail(tenant, lease)
    assert tenant.get(f"/status/{job['id']}").json()["status"] == "dead"

    assert admin.post(f"/admin/dead/{job['id']}/requeue").status_code == 200
    again = tenant.claim_ok()

    assert again["checkpoint"] == {"step": 5}


@pytest.mark.parametrize(
    "progress",
    [-0.1, 1.5, True, "x" * (protocol.PROGRESS_TEXT_MAX_CHARS + 1), {"a": 1}, "a\x00"],
)
def test_bad_progress_is_400_and_changes_nothing(tenant: Api, progress: Any) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    before = tenant.get(f"/status/{job['id']}").json()["lease_expires_at"]

    response = extend(tenant, lease, progress=progress, checkpoint={"a": 1})

    assert response.status_code == 400, response.text
    assert error_code(response) == "invalid_request"
    assert "progress" in response.json()["error"]["message"]
    after = tenant.get(f"/intents/{job['id']}").json()
    assert after["lease_expires_at"] == before and after["checkpoint_bytes"] is None


def test_a_checkpoint_over_the_limit_is_413_and_changes_nothing(tenant: Api) -> None:
    job = tenant.publish()
    lease = tenant.claim_ok()
    before = tenant.get(f"/status/{job['id']}").json()["lease_expires_at"]
    just_right = "x" * (protocol.CHECKPOINT_MAX_BYTES - 2)  # plus two quotes
    assert extend(tenant, lease, checkpoint=just_right).status_code == 200
    before = tenant.get(f"/status/{job['id']}").json()["lease_expires_at"]

    response = extend(tenant, lease, progress=0.5, checkpoint=just_right + "x")

    assert response.status_code == 413, response.text
    assert error_code(response) == "payload_too_large"
    assert "checkpoint" in response.json()["error"]["message"]
    after = tenant.get(f"/intents/{job['id']}").json()
    assert after["lease_expires_at"] == before
    assert after["checkpoint_bytes"] == protocol.CHECKPOINT_MAX_BYTES
    assert "progress" not in after


def test_another_tenant_sees_and_saves_nothing(
    tenant: Api, server: ServerHandle, clients: Callable[..., Api]
) -> None:
    other = clients(server)
    job = tenant.publish()
    lease = tenant.claim_ok()
    extend(tenant, lease, progress=0.5)

    response = extend(other, lease, progress=0.9)

    assert response.status_code == 404 and error_code(response) == "lease_lost"
    assert other.get(f"/status/{job['id']}").status_code == 404
    assert other.get(f"/intents/{job['id']}").status_code == 404
    assert tenant.get(f"/status/{job['id']}").json()["progress"] == 0.5
