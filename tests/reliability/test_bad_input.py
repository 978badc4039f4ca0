"""The bad-input matrix: every operation's every input x bad values, on both
backends. Each answer is a 4xx in the error envelope, and nothing changed
(the stats, the key list and Alice's objects are as before)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.reliability.operations import Operation, World, make_world, operations

pytestmark = pytest.mark.slow

HUGE = 10**30


def bad_values(schema: dict[str, Any]) -> Iterator[Any]:
    """Values a JSON field of `schema` must refuse."""
    kind = schema.get("type")
    if kind is None and "anyOf" in schema:
        kind = next((b.get("type") for b in schema["anyOf"] if "type" in b), None)
        schema = next(b for b in schema["anyOf"] if b.get("type") == kind)
    if kind == "string" or "enum" in schema:
        yield 12345
        yield ["list"]
        if "maxLength" in schema:  # a name or an id, not free text
            yield "x" * (schema["maxLength"] + 1)
            yield "a\x00b"
        if "enum" in schema:
            yield "not-" + str(schema["enum"][0])
    if kind in ("integer", "number"):
        yield "12"
        # Without a maximum a field is documented as lowered to the server's.
        if "maximum" in schema:
            yield schema["maximum"] + 1
            yield HUGE
        if "minimum" in schema:
            yield schema["minimum"] - 1
            yield -HUGE
        if "exclusiveMinimum" in schema:
            yield schema["exclusiveMinimum"]
            yield -HUGE
    if kind == "integer":
        yield 1.5


def bad_texts(schema: dict[str, Any]) -> Iterator[str]:
    """Raw (already percent-encoded) query or path text that must be refused."""
    yield "%FF"  # invalid UTF-8
    yield "a%00b"  # NUL
    if schema.get("type") in ("integer", "number"):
        yield "%C2%B2"  # a superscript two: a digit to Unicode, not a number
        yield str(HUGE)
        yield "nan"
    if "maxLength" in schema:
        yield "x" * (schema["maxLength"] + 1)


def _snapshot(server: ServerHandle, world: World) -> Any:
    admin = {protocol.HEADER_API_KEY: server.admin_key}
    alice = {protocol.HEADER_API_KEY: world.key}
    stats = httpx.get(f"{server.url}/admin/stats", headers=admin).json()
    keys = httpx.get(f"{server.url}/admin/keys", headers=admin).json()
    statuses = [
        httpx.get(f"{server.url}/status/{i}", headers=alice).json()
        for i in (world.intent_open, world.intent_claimed)
    ]
    kv = httpx.get(f"{server.url}/get/{world.kv_key}", headers=alice).json()
    return stats, keys, statuses, kv


def _cases(op: Operation, world: World) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what, request arguments) for each bad input of `op`."""
    body = world.body(op)
    schema = op.body_schema()
    if schema is not None and body is not None:
        for name, prop in schema["properties"].items():
            for value in bad_values(prop):
                yield f"body {name}={value!r:.40}", {"json": {**body, name: value}}
    for param in op.parameters("query"):
        for text in bad_texts(param["schema"]):
            yield (
                f"query {param['name']}={text:.40}",
                {"query": f"{param['name']}={text}"},
            )
    for param in op.parameters("header"):
        if "maxLength" in param["schema"]:
            long = "x" * (param["schema"]["maxLength"] + 1)
            yield f"header {param['name']}", {"headers": {param["name"]: long}}
    for name in op.path_names:
        # httpx refuses URLs over 64 KiB; this is far past any id limit.
        texts = ["%FF", "a%00b", "x" * 60_000]
        for text in texts:
            yield f"path {name}={text:.40}", {"path": {name: text}}


def test_bad_input_matrix(server: ServerHandle) -> None:
    world = make_world(server)
    before = _snapshot(server, world)
    failures: list[str] = []
    count = 0
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for op in operations(server):
            if not op.secured:
                continue
            key = server.admin_key if op.admin_only else world.key
            for what, case in _cases(op, world):
                url = world.url(op, **case.get("path", {}))
                if "query" in case:
                    url += "?" + case["query"]
                response = http.request(
                    op.method,
                    url,
                    json=case.get("json", world.body(op)),
                    headers={protocol.HEADER_API_KEY: key, **case.get("headers", {})},
                )
                count += 1
                try:
                    error = response.json()["error"]
                    ok = 400 <= response.status_code < 500 and bool(error["code"])
                except (ValueError, KeyError, TypeError):
                    ok = False
                if not ok:
                    failures.append(
                        f"{op.label} {what}: {response.status_code} {response.text:.99}"
                    )
    assert not failures, f"{len(failures)} of {count}:\n" + "\n".join(failures)
    assert _snapshot(server, world) == before
    assert count >= 100
