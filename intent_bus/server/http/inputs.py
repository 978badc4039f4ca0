"""Query strings and request headers decoded into an endpoint's input Structs.

The Structs (`schemas.py`) carry the limits; this module only gathers the raw
text they are decoded from. Query parameters repeat last-value-wins, except a
field a Struct declares as a list, which gathers every value; a header
field is renamed in its Struct to the header's name as the protocol spells it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
import msgspec.inspect

from intent_bus.server.http.bodies import convert

T = TypeVar("T", bound=msgspec.Struct)


def parse_query(query_string: bytes) -> dict[str, str]:
    """Query parameters, last value wins; empty for the common bare path."""
    if not query_string:
        return {}
    return dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def decode_query(query_string: bytes, struct: type[T]) -> T:
    repeated = list_fields(struct)
    if not repeated or not query_string:
        return convert(parse_query(query_string), struct, strict=False)
    values: dict[str, Any] = {}
    for name, value in parse_qsl(
        query_string.decode("latin-1"), keep_blank_values=True
    ):
        if name in repeated:
            values.setdefault(name, []).append(value)
        else:
            values[name] = value
    return convert(values, struct, strict=False)


@cache
def list_fields(struct: type[msgspec.Struct]) -> frozenset[str]:
    """The fields of a query Struct that take every value of a repeated key."""
    found = set()
    for field in msgspec.structs.fields(struct):
        info = msgspec.inspect.type_info(field.type)
        while isinstance(info, msgspec.inspect.Metadata):
            info = info.type
        if isinstance(info, msgspec.inspect.ListType):
            found.add(field.encode_name)
    return frozenset(found)


def header_fields(struct: type[msgspec.Struct]) -> tuple[tuple[bytes, str], ...]:
    """(ASGI header name, Struct field name) for each header a Struct reads."""
    return tuple(
        (name.lower().encode("latin-1"), name)
        for name in struct.__struct_encode_fields__
    )


def decode_headers(
    headers: dict[bytes, bytes],
    fields: tuple[tuple[bytes, str], ...],
    struct: type[T],
) -> T:
    values: dict[str, Any] = {}
    for raw_name, name in fields:
        value = headers.get(raw_name)
        if value is not None:
            values[name] = value.decode("latin-1")
    return convert(values, struct, strict=False)
