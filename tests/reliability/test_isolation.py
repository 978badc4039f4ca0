"""The tenant-isolation matrix: every operation of /openapi.json x {tenant,
other tenant, admin, no key}, on both backends.

Alice owns private intents, a lease and a KV entry. Without a key every
secured operation is 401; a tenant on an admin operation is 403. Bob and the
admin reaching for Alice's objects by id get 404 wherever the operation
documents 404, and no answer of theirs mentions her ids or values; an
operation that names its own object (a KV key the caller sets) leaves hers
alone (checked at the end). Admins may read any intent's status and result,
and control (cancel, requeue) any intent, as the protocol says, but never
use a tenant's lease. Alice herself is served.
"""

from __future__ import annotations

import httpx
import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.reliability.operations import Operation, World, make_world, operations

pytestmark = pytest.mark.slow


def _call(
    server: ServerHandle, world: World, operation: Operation, key: str | None
) -> httpx.Response:
    headers = {protocol.HEADER_API_KEY: key} if key is not None else {}
    params = {"namespace": "m"} if operation.parameters("query") else None
    return httpx.request(
        operation.method,
        server.url + world.url(operation),
        json=world.body(operation),
        params=params,
        headers=headers,
        timeout=10,
    )


def _admin_acts(operation: Operation) -> bool:
    """Admins may read and control any intent (PROTOCOL.md), but a lease is
    the claiming tenant's alone, and nothing else of a tenant's is theirs."""
    body = operation.body_schema() or {}
    holds_lease = "claim_token" in body.get("required", ())
    return "intent_id" in operation.path_names and not holds_lease


def _assert_error(response: httpx.Response, status: int, label: str) -> None:
    assert response.status_code == status, (label, response.text)
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)


def test_isolation_matrix(server: ServerHandle) -> None:
    world = make_world(server)
    bob = server.create_tenant("bob-matrix")
    secrets = (
        world.intent_open,
        world.intent_claimed,
        world.claim_token,
        "alice-value",
    )
    checked = 0
    # Operations that create the caller's own object by name (no documented
    # 404) run last, so Bob's KV entry cannot answer for Alice's in a lookup.
    ordered = sorted(
        operations(server),
        key=lambda op: bool(op.path_names) and "404" not in op.spec["responses"],
    )
    for operation in ordered:
        if not operation.secured:
            continue
        label = operation.label
        _assert_error(_call(server, world, operation, None), 401, label)
        if operation.admin_only:
            _assert_error(_call(server, world, operation, world.key), 403, label)
            _assert_error(_call(server, world, operation, bob), 403, label)
            checked += 3
            continue
        for other in (bob, server.admin_key):
            if other == server.admin_key and operation.method != "GET":
                # Admins may change any tenant's intents, one by one or in bulk
                # by filter (PROTOCOL.md): not a boundary.
                continue
            response = _call(server, world, operation, other)
            if other == server.admin_key and _admin_acts(operation):
                assert response.status_code in (200, 202), (label, response.text)
            elif operation.path_names and "404" in operation.spec["responses"]:
                _assert_error(response, 404, label)
            else:
                assert response.status_code < 500, (label, response.text)
                if other == bob:  # an admin's lists show every tenant's
                    assert not any(s in response.text for s in secrets), label
            checked += 1
        checked += 1
    # Nothing the others did touched Alice's objects.
    with httpx.Client(
        base_url=server.url, headers={protocol.HEADER_API_KEY: world.key}
    ) as alice:
        assert alice.get(f"/status/{world.intent_open}").json()["status"] == "open"
        claimed = alice.get(f"/status/{world.intent_claimed}").json()
        assert claimed["status"] == "claimed"
        assert alice.get(f"/get/{world.kv_key}").json()["value"] == "alice-value"
        done = alice.post(
            f"/fulfill/{world.intent_claimed}",
            json={"claim_token": world.claim_token, "result": 1},
        )
        assert done.status_code == 200, done.text
    assert checked >= 40
