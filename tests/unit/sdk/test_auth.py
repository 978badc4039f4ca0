"""Signing covers exactly the path and query sent, afresh for every attempt."""

from __future__ import annotations

import itertools

import httpx

from intent_bus import protocol
from intent_bus.sdk.auth import SigningAuth


def signed(auth: SigningAuth, request: httpx.Request) -> httpx.Request:
    flow = auth.sync_auth_flow(request)
    return next(flow)


def test_signature_verifies_against_the_protocol_function() -> None:
    auth = SigningAuth("tk_secret", clock=lambda: 1700000000.9, nonce=lambda: "n1")
    request = httpx.Request(
        "POST",
        "http://h/claim",
        params=[("namespace", "media"), ("goal", "a b/c")],
        content=b"",
    )
    request = signed(auth, request)
    canonical = "/claim?goal=a%20b%2Fc&namespace=media"
    assert request.headers["X-API-KEY"] == "tk_secret"
    assert request.headers["X-Timestamp"] == "1700000000"
    assert request.headers["X-Nonce"] == "n1"
    assert request.headers["X-Signature"] == protocol.sign(
        "tk_secret", "POST", canonical, "1700000000", "n1", b""
    )


def test_body_bytes_are_signed() -> None:
    auth = SigningAuth("k", clock=lambda: 5, nonce=lambda: "n")
    request = signed(auth, httpx.Request("POST", "http://h/intent", content=b'{"a":1}'))
    assert request.headers["X-Signature"] == protocol.sign(
        "k", "POST", "/intent", "5", "n", b'{"a":1}'
    )


def test_each_attempt_gets_a_fresh_nonce() -> None:
    counter = itertools.count()
    auth = SigningAuth("k", nonce=lambda: f"n{next(counter)}")
    first = signed(auth, httpx.Request("GET", "http://h/status/x"))
    second = signed(auth, httpx.Request("GET", "http://h/status/x"))
    assert first.headers["X-Nonce"] != second.headers["X-Nonce"]


def test_default_nonces_are_unique_and_key_is_not_in_repr() -> None:
    auth = SigningAuth("tk_topsecret")
    nonces = {
        signed(auth, httpx.Request("GET", "http://h/x")).headers["X-Nonce"]
        for _ in range(50)
    }
    assert len(nonces) == 50
    assert "topsecret" not in repr(auth)
