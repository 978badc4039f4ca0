"""Body decoding: what is invalid_json, what is invalid_request, and depth."""

from __future__ import annotations

import pytest

from intent_bus.server.errors import ApiError
from intent_bus.server.http import bodies
from intent_bus.server.schemas import PublishRequest


@pytest.mark.parametrize(
    ("body", "limit", "exceeds"),
    [
        (b"[[1]]", 2, False),
        (b"[[[1]]]", 2, True),
        (b'{"a": "[[[[[[[["}', 2, False),
        (b'{"a": "\\"[[[[[[["}', 2, False),
        (b'[{"a": [{}]}]', 4, False),
        (b'[{"a": [{}]}]', 3, True),
        (b"[[],[],[],[],[]]", 2, False),
    ],
)
def test_nesting_depth(body: bytes, limit: int, exceeds: bool) -> None:
    assert bodies.nesting_depth_exceeds(body, limit) is exceeds


def test_empty_body_is_an_empty_object() -> None:
    assert bodies.decode_json(b"", 64) == {}
    assert bodies.decode_json(b"  \n", 64) == {}


@pytest.mark.parametrize("body", [b"NaN", b"[Infinity]", b"1e999", b"{", b"{'a': 1}"])
def test_not_json_is_invalid_json(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        bodies.decode_json(body, 64)
    assert caught.value.code == "invalid_json"


def test_huge_integers_survive() -> None:
    value = bodies.decode_json(b"[123456789012345678901234567890]", 64)
    assert bodies.encode_value(value) == b"[123456789012345678901234567890]"


def test_validation_errors_name_the_field() -> None:
    with pytest.raises(ApiError) as caught:
        bodies.convert({"goal": "g", "priority": 5000}, PublishRequest)
    assert caught.value.code == "invalid_request"
    assert caught.value.message.startswith("priority:")
    with pytest.raises(ApiError) as missing:
        bodies.convert({}, PublishRequest)
    assert "goal" in missing.value.message
    with pytest.raises(ApiError) as wrong_shape:
        bodies.convert([], PublishRequest)
    assert wrong_shape.value.message == "request body must be a JSON object"


def test_canonical_hash_ignores_key_order_and_spacing() -> None:
    a = bodies.decode_json(b'{"a": 1, "b": [1, {"y": 2, "x": 1}]}', 64)
    b = bodies.decode_json(b'{"b":[1,{"x":1,"y":2}],"a":1}', 64)
    assert bodies.canonical_hash(a) == bodies.canonical_hash(b)
    assert bodies.canonical_hash(a) != bodies.canonical_hash({"a": 2})


class _Receive:
    def __init__(self, chunks: list[bytes]) -> None:
        self._messages = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

    async def __call__(self) -> dict[str, object]:
        return self._messages.pop(0)


@pytest.mark.anyio
async def test_read_body_joins_chunks_and_enforces_the_limit() -> None:
    scope: dict[str, object] = {"headers": []}
    assert await bodies.read_body(scope, _Receive([b"ab", b"cd"]), 4) == b"abcd"
    with pytest.raises(ApiError) as caught:
        await bodies.read_body(scope, _Receive([b"abc", b"de"]), 4)
    assert caught.value.status == 413
    declared = {"headers": [(b"content-length", b"5")]}
    with pytest.raises(ApiError):
        await bodies.read_body(declared, _Receive([b""]), 4)
