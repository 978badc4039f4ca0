"""Strict mode: HMAC signatures, timestamp window, nonce replay, required signing."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.harness import ServerHandle
from tests.server.api import Api, error_code, signed_headers


def test_signed_requests_work_for_every_kind_of_call(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    api = clients(server, signed=True)
    job = api.publish("signed", payload={"b": 1, "a": [1, 2]})
    lease = api.claim_ok("namespace=default&goal=signed")
    assert lease["id"] == job["id"]
    assert (
        api.post(
            f"/fulfill/{job['id']}", {"claim_token": lease["claim_token"]}
        ).status_code
        == 200
    )
    assert api.get(f"/result/{job['id']}").status_code == 200
    assert api.post("/set/with space/and%", {"value": 1, "ttl": 60}).status_code == 200
    assert api.get("/get/with space/and%").json() == {"value": 1}


def test_query_parameters_are_signed_in_sorted_canonical_form(
    server: ServerHandle, tenant: Api
) -> None:
    tenant.publish("g h", namespace="n/s")
    url = "/claim?namespace=n%2Fs&goal=g+h"
    headers = signed_headers(tenant.key, "POST", url)
    # The server sees the parameters in another order than they were signed in.
    response = httpx.post(
        f"{server.url}/claim?goal=g%20h&namespace=n%2Fs", headers=headers
    )
    assert response.status_code == 200, response.text


def test_bad_signature_is_403(server: ServerHandle, tenant: Api) -> None:
    headers = signed_headers(tenant.key, "POST", "/intent", b'{"goal":"a"}')
    response = httpx.post(
        f"{server.url}/intent", content=b'{"goal":"b"}', headers=headers
    )
    assert response.status_code == 403
    assert error_code(response) == "invalid_signature"


def test_signature_with_another_key_is_403(server: ServerHandle, tenant: Api) -> None:
    headers = signed_headers("tk_someone_else", "GET", "/get/k")
    headers["X-API-KEY"] = tenant.key
    response = httpx.get(f"{server.url}/get/k", headers=headers)
    assert response.status_code == 403


def test_keys_signing_in_turn_are_each_checked_with_their_own_secret(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    """The verifier keeps a keyed MAC per secret: requests of two tenants in
    turn pass, and one signed with the other tenant's secret does not."""
    first, second = clients(server, signed=True), clients(server, signed=True)
    for round_ in range(3):
        assert first.post("/set/k", {"value": round_, "ttl": 60}).status_code == 200
        assert second.post("/set/k", {"value": -round_, "ttl": 60}).status_code == 200
    for signer, presenter in ((first, second), (second, first)):
        headers = signed_headers(signer.key, "GET", "/get/k")
        headers["X-API-KEY"] = presenter.key
        response = httpx.get(f"{server.url}/get/k", headers=headers)
        assert response.status_code == 403
        assert error_code(response) == "invalid_signature"
    assert first.get("/get/k").json() == {"value": 2}
    assert second.get("/get/k").json() == {"value": -2}


def test_stale_or_future_timestamp_is_403(server: ServerHandle, tenant: Api) -> None:
    for skew in (-310, 310):  # margin for slow requests under load
        ts = int(time.time()) + skew
        headers = signed_headers(tenant.key, "POST", "/claim", timestamp=ts)
        response = httpx.post(f"{server.url}/claim", headers=headers)
        assert response.status_code == 403, skew
        assert error_code(response) == "invalid_signature"


def test_replayed_nonce_is_403(server: ServerHandle, tenant: Api) -> None:
    headers = signed_headers(tenant.key, "POST", "/claim", nonce="once")
    assert httpx.post(f"{server.url}/claim", headers=headers).status_code == 204
    replay = httpx.post(f"{server.url}/claim", headers=headers)
    assert replay.status_code == 403 and error_code(replay) == "invalid_signature"
    # A fresh signature with the same nonce is a replay too.
    again = signed_headers(tenant.key, "POST", "/claim", nonce="once")
    assert httpx.post(f"{server.url}/claim", headers=again).status_code == 403


def test_signature_without_timestamp_or_nonce_is_403(
    server: ServerHandle, tenant: Api
) -> None:
    for missing in ("X-Timestamp", "X-Nonce"):
        headers = signed_headers(tenant.key, "POST", "/claim")
        del headers[missing]
        assert httpx.post(f"{server.url}/claim", headers=headers).status_code == 403


def test_require_signatures_refuses_unsigned_requests_with_401(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(require_signatures=True)
    admin = clients(server, server.admin_key, signed=True)
    created = admin.post("/admin/keys", {"owner": "strict"})
    assert created.status_code == 201
    key = created.json()["api_key"]
    unsigned = clients(server, key)
    response = unsigned.post("/claim")
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    signed = clients(server, key, signed=True)
    assert signed.post("/claim").status_code == 204
    assert httpx.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.parametrize(
    "timestamp",
    [
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e9",
        "+{now}",
        "{now} 1",
        "{now}.0",
        "{now}.5",
        "-{now}",
        "0x10",
        "{now}_0",
    ],
)
def test_timestamp_that_is_not_plain_digits_is_refused_and_changes_nothing(
    server: ServerHandle, tenant: Api, timestamp: str
) -> None:
    text = timestamp.format(now=int(time.time()))
    body = b'{"goal":"replayed"}'
    headers = signed_headers(tenant.key, "POST", "/intent", body, timestamp=text)
    response = httpx.post(f"{server.url}/intent", content=body, headers=headers)
    assert response.status_code == 403, (text, response.text)
    assert error_code(response) == "invalid_signature"
    assert tenant.claim("goal=replayed").status_code == 204  # nothing was published


def test_timestamp_of_plain_digits_within_the_window_is_accepted(
    server: ServerHandle, tenant: Api
) -> None:
    text = str(int(time.time()))
    body = b'{"goal":"digits"}'
    headers = signed_headers(tenant.key, "POST", "/intent", body, timestamp=text)
    response = httpx.post(f"{server.url}/intent", content=body, headers=headers)
    assert response.status_code == 201, response.text
