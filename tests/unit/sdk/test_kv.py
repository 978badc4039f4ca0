"""The KV value encoding round-trips every JSON value and reads field clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.kv import decode_value, encode_value

VALUES: list[Any] = [
    {"v": "2.4.1", "path": "/models/v2"},
    [1, "two", None, 3.5, {"x": []}],
    [],
    {},
    "plain text",
    "",
    "{not json",
    '{"looks": "like json"}',
    "[1, 2]",
    '"quoted"',
    "  {leading blank",
    0,
    -7,
    2.5,
    True,
    False,
    None,
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_every_json_value_round_trips(value: Any) -> None:
    # What the server stores is the JSON value as received: simulate the wire.
    stored = json.loads(json.dumps(encode_value(value)))
    assert decode_value(stored) == value
    assert type(decode_value(stored)) is type(value)


def test_containers_travel_as_json_text_like_field_clients() -> None:
    assert encode_value({"b": 1, "a": [1]}) == '{"a":[1],"b":1}'
    assert encode_value([1, 2]) == "[1,2]"


def test_values_written_by_field_clients_read_back() -> None:
    assert decode_value('{"a": 1}') == {"a": 1}
    assert decode_value("[1,2]") == [1, 2]
    assert decode_value("hello") == "hello"
    assert decode_value("{broken") == "{broken"
    assert decode_value(42) == 42


def test_strings_that_look_like_json_are_quoted() -> None:
    assert encode_value("[1]") == '"[1]"'
    assert encode_value("hello") == "hello"


@pytest.mark.parametrize("value", [{"x": float("nan")}, [float("inf")]])
def test_non_finite_numbers_are_refused(value: Any) -> None:
    with pytest.raises(IntentBusError, match="NaN or Infinity"):
        encode_value(value)
