"""Input edges: NUL characters, invalid UTF-8 and odd numbers are a clean 4xx
that changes nothing, on both backends alike (PostgreSQL text cannot hold NUL,
so without the checks these were 500s there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import ApiError
from intent_bus.server.http import inputs
from intent_bus.server.schemas import PublishHeaders, WorkerHeaders
from tests.harness import ServerHandle
from tests.server.api import Api, error_code

NUL = "a\x00b"

# (method, url, JSON body or None, extra headers): a tenant sends these.
TENANT_CASES: list[tuple[str, str, Any, dict[str, str]]] = [
    ("POST", "/intent", {"goal": NUL}, {}),
    ("POST", "/intent", {"goal": "g", "namespace": NUL}, {}),
    ("POST", "/intent", {"goal": "g", "target_worker": NUL}, {}),
    ("POST", "/intent", {"goal": "g", "required_capability": NUL}, {}),
    ("POST", "/claim?namespace=a%00b", None, {}),
    ("POST", "/claim?goal=a%00b", None, {}),
    ("POST", "/claim?publisher=a%00b", None, {}),
    ("POST", "/claim?wait=1%00", None, {}),
    ("POST", "/claim?namespace=%FF", None, {}),
    ("GET", "/status/a%00b", None, {}),
    ("GET", "/result/a%00b", None, {}),
    ("GET", "/status/%C3", None, {}),
    ("POST", "/fulfill/a%00b", {"claim_token": "t"}, {}),
    ("POST", "/fulfill/x", {"claim_token": NUL}, {}),
    ("POST", "/fail/a%00b", {"claim_token": "t"}, {}),
    ("POST", "/extend_claim/a%00b", {"claim_token": "t"}, {}),
    ("POST", "/set/a%00b", {"value": 1}, {}),
    ("GET", "/get/a%00b", None, {}),
    ("POST", "/set/inv%FF", {"value": 1}, {}),
    ("POST", "/set/inv%FE", {"value": 2}, {}),
    ("GET", "/get/inv%FF", None, {}),
    ("GET", "/no-such/a%00", None, {}),
]

ADMIN_CASES: list[tuple[str, str, Any, dict[str, str]]] = [
    ("POST", "/admin/keys", {"owner": NUL}, {}),
    ("GET", "/admin/dead?owner=a%00b", None, {}),
    ("GET", "/admin/dead?namespace=a%00b", None, {}),
    ("GET", "/admin/dead?limit=%C2%B2", None, {}),
    ("GET", "/admin/dead?limit=99999999999999999999999999999999", None, {}),
    ("GET", "/admin/dead?limit=-99999999999999999999999999999999", None, {}),
    ("GET", "/admin/dead?limit=1e400", None, {}),
    ("GET", "/admin/dead?limit=1%00", None, {}),
    ("POST", "/admin/dead/a%00b/requeue", None, {}),
    ("DELETE", "/admin/keys/a%00b", None, {}),
]


def snapshot(admin: Api, tenant: Api) -> tuple[Any, ...]:
    """What the requests could have changed: counts, keys, dead list, KV."""
    stats = admin.get("/admin/stats").json()
    keys = admin.get("/admin/keys").json()
    dead = admin.get("/admin/dead").json()
    kv = [tenant.get(f"/get/{k}").status_code for k in ("inv", "inv%EF%BF%BD")]
    stats.pop("oldest_open_created_at", None)
    return stats, keys, dead, kv


def refused(api: Api, method: str, url: str, body: Any, headers: dict[str, str]) -> str:
    """Sends one case; returns a description if it was not a 4xx envelope."""
    response = api.request(method, url, body, headers=headers)
    if not 400 <= response.status_code < 500:
        return f"{method} {url}: {response.status_code} {response.text[:200]}"
    if error_code(response) not in (ErrorCode.INVALID_REQUEST, ErrorCode.NOT_FOUND):
        return f"{method} {url}: code {error_code(response)}"
    return ""


def test_bad_text_is_refused_and_changes_nothing(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    tenant = clients(server)
    admin = clients(server, server.admin_key)
    tenant.publish("seed")
    before = snapshot(admin, tenant)
    failures = [refused(tenant, *case) for case in TENANT_CASES]
    failures += [refused(admin, *case) for case in ADMIN_CASES]
    assert [f for f in failures if f] == []
    assert snapshot(admin, tenant) == before


def test_nul_refusals_name_the_rule(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    tenant = clients(server)
    response = tenant.post("/intent", {"goal": NUL})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "goal: Expected `str` without NUL characters",
    }
    path = tenant.get("/get/inv%FF")
    assert path.status_code == 400
    assert "UTF-8" in path.json()["error"]["message"]


def test_invalid_escapes_no_longer_alias_one_kv_key(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    tenant = clients(server)
    assert tenant.post("/set/inv%FF", {"value": 1}).status_code == 400
    assert tenant.post("/set/inv%EF%BF%BD", {"value": 3}).status_code == 200
    assert tenant.get("/get/inv%FE").status_code == 400
    assert tenant.get("/get/inv%EF%BF%BD").json() == {"value": 3}
    assert tenant.post("/set/caf%C3%A9", {"value": "ok"}).status_code == 200
    assert tenant.get("/get/café").json() == {"value": "ok"}


def test_nul_inside_json_payload_and_result_round_trips(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    """Payloads and results are stored as JSON bytes, so a NUL inside one of
    their strings is kept, escaped, on both backends."""
    tenant = clients(server)
    published = tenant.publish("nul", payload={"text": NUL})
    claimed = tenant.claim_ok()
    assert claimed["payload"] == {"text": NUL}
    done = tenant.post(
        f"/fulfill/{published['id']}",
        {"claim_token": claimed["claim_token"], "result": [NUL]},
    )
    assert done.status_code == 200, done.text
    assert tenant.get(f"/result/{published['id']}").json()["result"] == [NUL]


def test_nul_in_failure_text_is_kept_as_replacement_character(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    """An error message is free text a worker passes on: it is kept (like a too
    long one is truncated), never refused, with NUL shown as U+FFFD."""
    tenant = clients(server)
    published = tenant.publish("fails", max_attempts=1)
    claimed = tenant.claim_ok()
    failed = tenant.post(
        f"/fail/{published['id']}",
        {"claim_token": claimed["claim_token"], "error": NUL},
    )
    assert failed.status_code == 200, failed.text
    status = tenant.get(f"/status/{published['id']}").json()
    assert status["status"] == "dead"
    assert status["error"] == "a\ufffdb"


def test_nul_in_header_values_is_refused() -> None:
    """A raw NUL cannot cross the HTTP parser, but header inputs are checked
    like every other text input should one ever arrive."""
    for struct, name in (
        (PublishHeaders, b"idempotency-key"),
        (WorkerHeaders, b"x-worker-id"),
        (WorkerHeaders, b"x-worker-capabilities"),
    ):
        with pytest.raises(ApiError) as refused:
            inputs.decode_headers(
                {name: b"a\x00b"}, inputs.header_fields(struct), struct
            )
        assert refused.value.status == 400
