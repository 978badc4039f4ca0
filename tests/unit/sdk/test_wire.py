"""The sync client's fast path writes exactly the request httpx would write:
the same target, headers in the same order, body, timeouts and signature."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from intent_bus import protocol
from intent_bus.sdk import (
    admin_calls,
    batch_calls,
    calls,
    control_calls,
    limits,
    schedule_calls,
)
from intent_bus.sdk.auth import Signer, SigningAuth
from intent_bus.sdk.call import Call
from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.core import ClientCore
from intent_bus.sdk.stdlib_transport import StdlibTransport
from intent_bus.sdk.wire import Wire

KEY = "tk_wire"
CLOCK = 1700000000.5
NONCE = "0123456789abcdef0123456789abcdef"

BASES = [
    "http://127.0.0.1:8000",
    "http://bus.example.com/prefix",
    "https://bus.example.com:8443/a/b/",
    "http://[::1]:9000",
    "https://bus.example.com",
]

CALLS: list[Call[Any]] = [
    calls.publish("resize", {"url": "s3://b/ü.png"}, idempotency_key="k-1"),
    calls.publish("g", None, namespace="n", concurrency_key="c", idempotency_key="k"),
    calls.claim(
        goal="a&b/ü c",
        namespace="n s",
        worker_id="w-1",
        capabilities=["gpu", "x"],
        publisher="p+q=r",
        wait=2.5,
    ),
    calls.claim(),
    calls.fulfill("i-1", "tok", {"a": [1, 2]}, "json"),
    calls.fail("i-1", "tok", "boom"),
    calls.extend_claim("i 1/ü", "tok", 30, 0.5, {"step": 2}),
    calls.get_status("a b/ü?#%zz"),
    calls.get_result("i_1-~.x"),
    calls.get_result("a/../b"),
    calls.kv_set("k ü/x", {"v": 1}, 60),
    calls.kv_get("%41"),
    admin_calls.create_key("acme"),
    admin_calls.list_keys(),
    admin_calls.list_dead("o", "n s", 10),
    control_calls.list_intents(status=["open", "dead"], error="x=y&z", limit=5),
    control_calls.cancel("i-1"),
    control_calls.pause("n", "g"),
    schedule_calls.delete_schedule("nightly-run", owner="o"),
    limits.set_limit("n", "g", 3, owner="o"),
    limits.delete_limit("n", "g"),
    admin_calls.revoke_key("key_1"),
    Call("DELETE", "/x", calls._parse_status, body=b"{}"),
    Call("PATCH", "/x", calls._parse_status),
    Call("POST", "/claim", calls._parse_claim, extra_read_timeout=0.5),
    batch_calls.claim_many(5, namespace="n", goal="g"),
    batch_calls.publish_many(
        [batch_calls.encoded(batch_calls.publish_item({"goal": "g"}), "payload")]
    ),
]


def fixed_signer() -> Signer:
    return Signer(KEY, clock=lambda: CLOCK, nonce=lambda: NONCE)


def fast_path(base_url: str) -> Wire:
    """The fast path of an IntentClient for `base_url`, signing with the fixed
    clock and nonce."""
    with IntentClient(base_url, KEY) as client:
        return Wire(client._http, StdlibTransport(), fixed_signer(), 1.0)


def httpx_client(base_url: str, sent: list[httpx.Request]) -> httpx.Client:
    """An httpx.Client configured as IntentClient configures its own, signing
    with the fixed clock and nonce, recording what it would send."""

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    core = ClientCore(base_url, KEY, 10.0, None)
    options = core._http_options()
    options["auth"] = SigningAuth(KEY, clock=lambda: CLOCK, nonce=lambda: NONCE)
    return httpx.Client(transport=httpx.MockTransport(record), **options)


def text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


@pytest.mark.parametrize("base_url", BASES)
@pytest.mark.parametrize("call", CALLS, ids=lambda call: f"{call.method} {call.path}")
def test_fast_path_writes_what_httpx_writes(base_url: str, call: Call[Any]) -> None:
    sent: list[httpx.Request] = []
    core = ClientCore(base_url, KEY, 10.0, None)
    with httpx_client(base_url, sent) as http:
        http.request(call.method, call.path, **core._request_options(call))
        wire = Wire(http, StdlibTransport(), fixed_signer(), 10.0)
        out = wire.prepare(call)
    assert out is not None
    [request] = sent
    assert out.method == request.method
    assert out.target == request.url.raw_path.decode("ascii")
    assert [(text(n), text(v)) for n, v in out.headers] == [
        (text(n), text(v)) for n, v in request.headers.raw
    ]
    assert out.body == request.content
    assert dict(out.timeouts) == request.extensions["timeout"]


def test_signature_is_the_protocol_one() -> None:
    wire = fast_path("http://h")
    out = wire.prepare(calls.claim(namespace="n s", goal="g"))
    assert out is not None
    headers = dict((text(n), text(v)) for n, v in out.headers)
    canonical = protocol.canonical_path("/claim", [("goal", "g"), ("namespace", "n s")])
    assert headers[protocol.HEADER_SIGNATURE] == protocol.sign(
        KEY, "POST", canonical, str(int(CLOCK)), NONCE, b""
    )


def test_dot_segments_go_through_httpx() -> None:
    wire = fast_path("http://h")
    assert wire.prepare(calls.get_status("..")) is None
    assert wire.prepare(calls.get_status(".x")) is None
    assert wire.prepare(Call("GET", "/a/./b", calls._parse_status)) is None


def test_a_header_overriding_the_clients_goes_through_httpx() -> None:
    wire = fast_path("http://h")
    call = Call("GET", "/x", calls._parse_status, headers=(("content-type", "a/b"),))
    assert wire.prepare(call) is None


def test_only_the_stdlib_transport_takes_the_fast_path() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(204))
    with IntentClient("http://h", KEY, transport=mock) as client:
        assert client._wire is None
    with IntentClient("http://h", KEY) as client:
        assert client._wire is not None
    with IntentClient("http://h/?x=1", KEY) as client:
        assert client._wire is None
