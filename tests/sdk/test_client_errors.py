"""Each exception of the SDK, provoked for real, through both clients."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from intent_bus import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusNetworkError,
    IntentBusProtocolError,
    IntentBusRateLimitError,
    IntentClient,
    __version__,
)
from intent_bus.sdk.retry import RetryPolicy
from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server
from tests.sdk.conftest import MakeClient
from tests.sdk.fakeserver import Reply, fake_server

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, max_total=5)
STATUS = {
    "id": "a" * 32,
    "status": "open",
    "goal": "g",
    "namespace": "default",
    "claim_attempts": 0,
    "max_attempts": 3,
    "priority": 100,
}


def tampering(kind: str, **overrides: str) -> Any:
    """A real transport that rewrites headers after signing, as an attacker or a
    broken clock would."""
    if kind == "sync":

        class Sync(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                request.headers.update(overrides)
                return super().handle_request(request)

        return Sync()

    class Async(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            request.headers.update(overrides)
            return await super().handle_async_request(request)

    return Async()


def replaying(kind: str) -> Any:
    """A real transport that sends every request twice and returns the second
    answer: a captured request replayed."""
    if kind == "sync":

        class Sync(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                super().handle_request(request).read()
                return super().handle_request(request)

        return Sync()

    class Async(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await (await super().handle_async_request(request)).aread()
            return await super().handle_async_request(request)

    return Async()


def test_unknown_key_is_unauthorized(make_client: MakeClient) -> None:
    client = make_client(api_key="tk_not_a_real_key")
    with pytest.raises(IntentBusAuthError) as info:
        client.publish("g", {})
    assert (info.value.status_code, info.value.code) == (401, "unauthorized")


def test_bad_signature_is_refused(make_client: MakeClient, kind: str) -> None:
    client = make_client(transport=tampering(kind, **{"X-Signature": "0" * 64}))
    with pytest.raises(IntentBusAuthError) as info:
        client.get_status("a" * 32)
    assert (info.value.status_code, info.value.code) == (403, "invalid_signature")


def test_stale_timestamp_is_refused(make_client: MakeClient, kind: str) -> None:
    stale = str(int(time.time()) - 3600)
    client = make_client(transport=tampering(kind, **{"X-Timestamp": stale}))
    with pytest.raises(IntentBusAuthError) as info:
        client.get("k")
    assert info.value.code == "invalid_signature"


def test_replayed_request_is_refused(make_client: MakeClient, kind: str) -> None:
    client = make_client(transport=replaying(kind))
    with pytest.raises(IntentBusAuthError) as info:
        client.get("k")
    assert (info.value.status_code, info.value.code) == (403, "invalid_signature")


def test_rate_limit_surfaces_with_retry_after(
    kind: str, make_client: MakeClient, tmp_path: Path
) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'rl.db'}", rate_limit=2)
    with running_server(settings) as server:
        client = make_client(
            base_url=server.url, api_key=server.create_tenant(), retry=FAST
        )
        started = time.monotonic()
        with pytest.raises(IntentBusRateLimitError) as info:
            for _ in range(10):
                client.publish("g", {})
        assert (info.value.status_code, info.value.code) == (429, "rate_limited")
        assert info.value.retry_after is not None and info.value.retry_after > 0
        # Retry-After exceeds the retry budget, so the SDK gives up at once.
        assert time.monotonic() - started < 4


def test_unreachable_server_is_a_network_error(make_client: MakeClient) -> None:
    client = make_client(base_url="http://127.0.0.1:9", retry=FAST)
    with pytest.raises(IntentBusNetworkError) as info:
        client.get_status("a" * 32)
    assert info.value.request_sent is False
    assert info.value.status_code is None


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, b"<html>oops</html>"), "non-JSON"),
        (Reply(200, b"[]"), "expected a JSON object"),
        (Reply(200, json.dumps({**STATUS, "priority": "high"}).encode()), "'priority'"),
        (Reply(200, json.dumps({"id": "x"}).encode()), "'status' is missing"),
        (Reply(204), "unexpected HTTP 204"),
    ],
)
def test_contract_violations_are_protocol_errors(
    make_client: MakeClient, reply: Reply, message: str
) -> None:
    with fake_server(reply) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x")
        with pytest.raises(IntentBusProtocolError, match=message):
            client.get_status("a" * 32)


def test_malformed_claim_is_a_protocol_error(make_client: MakeClient) -> None:
    with fake_server(Reply(200, b'{"id": "x", "goal": "g"}')) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x")
        with pytest.raises(IntentBusProtocolError, match="'payload' is missing"):
            client.claim()


def test_reads_are_retried_through_server_errors(make_client: MakeClient) -> None:
    busy = Reply(
        503, b'{"error":{"code":"busy","message":"busy"}}', {"Retry-After": "0"}
    )
    broken = Reply(502, b"bad gateway")
    with fake_server(busy, broken, Reply(200, json.dumps(STATUS).encode())) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x", retry=FAST)
        assert client.get_status("a" * 32).id == "a" * 32
        assert len(fake.seen) == 3
        # Each attempt was signed afresh.
        assert len({seen.headers["X-Nonce"] for seen in fake.seen}) == 3


def test_persistent_server_error_surfaces(make_client: MakeClient) -> None:
    error = b'{"error":{"code":"internal_error","message":"kaput"}}'
    with fake_server(Reply(500, error)) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x", retry=FAST)
        with pytest.raises(IntentBusError) as info:
            client.get("k")
        assert (info.value.status_code, info.value.code) == (500, "internal_error")
        assert len(fake.seen) == 3


def test_claim_is_not_retried_on_a_server_error(make_client: MakeClient) -> None:
    with fake_server(
        Reply(500, b'{"error":{"code":"internal_error","message":"x"}}')
    ) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x", retry=FAST)
        with pytest.raises(IntentBusError):
            client.claim()
        assert len(fake.seen) == 1


def test_claim_is_retried_when_the_server_was_busy(make_client: MakeClient) -> None:
    busy = Reply(503, b'{"error":{"code":"busy","message":"b"}}', {"Retry-After": "0"})
    with fake_server(busy, Reply(204, headers={"Retry-After": "2"})) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x", retry=FAST)
        nothing = client.claim()
        assert not nothing and nothing.retry_after == 2.0
        assert len(fake.seen) == 2


def test_requests_carry_the_contract_headers(make_client: MakeClient) -> None:
    with fake_server(
        Reply(404, b'{"error":{"code":"not_found","message":"n"}}')
    ) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x")
        assert client.get("k") is None
        headers = {k.lower(): v for k, v in fake.seen[0].headers.items()}
        assert headers["user-agent"] == f"intent-bus-python/{__version__}"
        assert headers["x-intent-version"] == "7.61"
        assert headers["content-type"] == "application/json"
        assert headers["x-api-key"] == "tk_x"
        assert len(headers["x-signature"]) == 64


def test_other_protocol_major_warns_once(make_client: MakeClient) -> None:
    reply = Reply(404, b'{"error":{"code":"not_found","message":"n"}}')
    reply.headers["X-Intent-Version"] = "8.0"
    with fake_server(reply) as fake:
        client = make_client(base_url=fake.url, api_key="tk_x")
        with pytest.warns(UserWarning, match="protocol version '8.0'"):
            client.get("k")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client.get("k")


def test_version_warning_points_at_the_callers_line() -> None:
    reply = Reply(404, b'{"error":{"code":"not_found","message":"n"}}')
    reply.headers["X-Intent-Version"] = "8.0"
    with fake_server(reply) as fake, IntentClient(fake.url, "tk_x") as client:
        with pytest.warns(UserWarning, match="protocol version") as caught:
            client.get("k")
    assert [Path(w.filename).name for w in caught] == [Path(__file__).name]


def test_client_reads_url_and_key_from_the_environment(
    make_client: MakeClient,
    sqlite_server: ServerHandle,
    tenant_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTENT_BUS_URL", sqlite_server.url)
    monkeypatch.setenv("INTENT_API_KEY", tenant_key)
    client = make_client(base_url=None, api_key=None)
    assert client.publish("env", {}).status == "open"


def test_client_reads_key_file_from_home(
    make_client: MakeClient,
    sqlite_server: ServerHandle,
    tenant_key: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("INTENT_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    key_file = tmp_path / ".apikey"
    key_file.write_text(tenant_key + "\n")
    key_file.chmod(0o600)
    client = make_client(api_key=None)
    assert client.publish("file", {}).status == "open"

    key_file.chmod(0o640)
    with pytest.warns(UserWarning, match="accessible by group or others"):
        make_client(api_key=None)

    key_file.rename(tmp_path / "real")
    os.symlink(tmp_path / "real", key_file)
    with pytest.raises(IntentBusAuthError, match="symlink"):
        make_client(api_key=None)


def test_missing_key_is_a_clear_auth_error(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INTENT_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(IntentBusAuthError, match="no Intent Bus API key"):
        make_client(api_key=None)
