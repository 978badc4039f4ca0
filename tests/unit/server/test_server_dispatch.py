"""The dispatcher's path table: which paths reach an endpoint, with which
parameters, and which fall through to Starlette."""

from __future__ import annotations

from typing import Any

from intent_bus.server.http.dispatch import _Route, compile_path
from intent_bus.server.http.endpoint import Endpoint


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
