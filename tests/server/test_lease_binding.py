"""A lease is bound to the tenant that claimed it (issue 14, item 5): another
tenant's key holding the right token gets 404 lease_lost and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_another_tenant_cannot_use_a_leaked_token(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice, bob = clients(server), clients(server)
    alice.publish(visibility="private")
    lease = alice.claim_ok()
    token = {"claim_token": lease["claim_token"]}
    for action, extra in (
        ("extend_claim", {"seconds": 300}),
        ("fulfill", {"result": "stolen"}),
        ("fail", {"error": "stolen"}),
    ):
        refused = bob.post(f"/{action}/{lease['id']}", {**token, **extra})
        assert refused.status_code == 404, action
        assert error_code(refused) == "lease_lost", action
    status = alice.get(f"/status/{lease['id']}").json()
    assert status["status"] == "claimed" and status["error"] is None
    assert status["lease_expires_at"] == lease["lease_expires_at"]
    assert alice.post(f"/fulfill/{lease['id']}", token).status_code == 200


def test_a_public_intent_is_bound_to_its_claimer_not_its_publisher(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice, bob = clients(server), clients(server)
    alice.publish(visibility="public")
    lease = bob.claim_ok()
    token = {"claim_token": lease["claim_token"]}
    refused = alice.post(f"/fulfill/{lease['id']}", token)
    assert refused.status_code == 404 and error_code(refused) == "lease_lost"
    assert bob.post(f"/fulfill/{lease['id']}", token).status_code == 200
