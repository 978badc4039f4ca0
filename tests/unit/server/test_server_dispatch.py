"""The dispatcher: which paths reach an endpoint, with which parameters; 404
and 405 (with Allow) for the rest; the lifespan protocol."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from intent_bus import protocol
from intent_bus.server.http.dispatch import Dispatcher, _Route, compile_path
from intent_bus.server.http.endpoint import Endpoint
from intent_bus.server.http.lifespan import run_lifespan


async def _handler(call: Any, body: Any) -> Any:
    raise AssertionError("not called")


def route(path: str) -> _Route:
    endpoint = Endpoint("POST", path, _handler, "test")
    return _Route(endpoint, app=None)  # type: ignore[arg-type]  # match() only


def test_compile_path_separates_literals_and_parameters() -> None:
    pattern = compile_path("/admin/dead/{intent_id}/requeue")
    assert pattern.parts == ("", "admin", "dead", None, "requeue")
    assert pattern.names == ("intent_id",)
    assert pattern.rest is None
    kv = compile_path("/set/{key:path}")
    assert kv.parts == ("", "set")
    assert (kv.names, kv.rest) == (("key",), "key")


def test_parameters_are_matched_by_position() -> None:
    requeue = route("/admin/dead/{intent_id}/requeue")
    assert requeue.match("/admin/dead/abc/requeue".split("/")) == {"intent_id": "abc"}
    assert requeue.match("/admin/dead/abc/other".split("/")) is None
    assert requeue.match("/admin/dead//requeue".split("/")) is None
    assert requeue.match("/admin/dead/abc".split("/")) is None


def test_path_parameter_takes_the_rest_but_not_nothing() -> None:
    kv = route("/set/{key:path}")
    assert kv.match("/set/a/b/c".split("/")) == {"key": "a/b/c"}
    assert kv.match("/set/".split("/")) is None
    assert kv.match("/set".split("/")) is None


class _App:
    """Stands in for an EndpointApp: records the params it was called with."""

    def __init__(self, method: str, path: str) -> None:
        self.endpoint = Endpoint(method, path, _handler, "test")
        self.calls: list[dict[str, str]] = []

    async def __call__(
        self, scope: Any, receive: Any, send: Any, params: dict[str, str]
    ) -> None:
        self.calls.append(params)


@contextlib.asynccontextmanager
async def _no_lifespan() -> AsyncIterator[None]:
    yield


def _dispatcher(*apps: _App) -> Dispatcher:
    return Dispatcher(apps, _no_lifespan)  # type: ignore[arg-type]  # stand-ins


async def _request(app: Dispatcher, method: str, path: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    await app(scope, receive, send)
    return sent


@pytest.mark.anyio
async def test_matched_requests_reach_their_endpoint_and_head_is_get() -> None:
    get = _App("GET", "/status/{intent_id}")
    app = _dispatcher(get, _App("POST", "/intent"))
    assert await _request(app, "GET", "/status/abc") == []
    assert await _request(app, "HEAD", "/status/def") == []
    assert get.calls == [{"intent_id": "abc"}, {"intent_id": "def"}]


@pytest.mark.anyio
async def test_unrouted_requests_get_404_or_405_with_allow() -> None:
    app = _dispatcher(
        _App("POST", "/admin/keys"),
        _App("GET", "/admin/keys"),
        _App("DELETE", "/admin/keys/{key_id}"),
    )
    start, body = await _request(app, "PUT", "/admin/keys")
    headers = dict(start["headers"])
    assert start["status"] == 405
    assert headers[b"allow"] == b"GET, POST"
    assert headers[b"x-intent-version"] == protocol.PROTOCOL_VERSION.encode()
    assert json.loads(body["body"])["error"]["code"] == "invalid_request"
    start, body = await _request(app, "GET", "/admin/keys/k1/more")
    assert start["status"] == 404
    assert json.loads(body["body"])["error"]["code"] == "not_found"
    assert b"allow" not in dict(start["headers"])


async def _lifespan_messages(lifespan: Any) -> list[str]:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    with contextlib.suppress(RuntimeError):
        await run_lifespan(lifespan, receive, send)
    return sent


@pytest.mark.anyio
async def test_lifespan_reports_startup_and_shutdown() -> None:
    assert await _lifespan_messages(_no_lifespan) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]

    @contextlib.asynccontextmanager
    async def broken() -> AsyncIterator[None]:
        raise RuntimeError("store did not open")
        yield

    assert await _lifespan_messages(broken) == ["lifespan.startup.failed"]
