"""A thin test client: httpx with the API key, and strict-mode signing.

Signing uses `intent_bus.protocol`, the same canonicalization the server
verifies with, but is assembled here by hand so tests control every header.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import msgspec

from intent_bus import protocol


def signed_headers(
    key: str,
    method: str,
    url: str,
    body: bytes = b"",
    *,
    timestamp: int | str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """X-API-KEY plus a valid signature for exactly this request.

    `timestamp` may be any text, to sign malformed timestamps correctly."""
    parts = urlsplit(url)
    path = protocol.canonical_path(
        parts.path, parse_qsl(parts.query, keep_blank_values=True)
    )
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    return {
        "X-API-KEY": key,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": protocol.sign(key, method, path, ts, nonce, body),
        "Content-Type": "application/json",
    }


class Api:
    """Requests as one API key; `signed=True` signs every request."""

    def __init__(self, base_url: str, key: str, *, signed: bool = False) -> None:
        self.key = key
        self.signed = signed
        self.http = httpx.Client(base_url=base_url, timeout=40)

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        url: str,
        json: Any = None,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        body = content if content is not None else b""
        if json is not None:
            body = msgspec.json.encode(json, order="sorted")
        if self.signed:
            merged = signed_headers(self.key, method, url, body)
        else:
            merged = {"X-API-KEY": self.key, "Content-Type": "application/json"}
        merged.update(headers or {})
        return self.http.request(method, url, content=body, headers=merged)

    def post(self, url: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", url, json, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)

    def put(self, url: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, json, **kw)

    # -- shortcuts for the common flows --------------------------------------
    def publish(self, goal: str = "job", **fields: Any) -> dict[str, Any]:
        response = self.post("/intent", {"goal": goal, "payload": None, **fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def claim(self, query: str = "", **headers: str) -> httpx.Response:
        return self.post("/claim" + (f"?{query}" if query else ""), headers=headers)

    def claim_ok(self, query: str = "", **headers: str) -> dict[str, Any]:
        response = self.claim(query, **headers)
        assert response.status_code == 200, (response.status_code, response.text)
        body: dict[str, Any] = response.json()
        return body


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code
