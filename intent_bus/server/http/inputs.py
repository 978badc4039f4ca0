"""Query strings and request headers decoded into an endpoint's input Structs.

The Structs (`schemas.py`) carry the limits; this module only gathers the raw
text they are decoded from. A query parameter may appear once, except a field
a Struct declares as a list, which gathers every value; a header
field is renamed in its Struct to the header's name as the protocol spells it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
import msgspec.inspect

from intent_bus.server.errors import invalid_request
from intent_bus.server.http.bodies import convert

T = TypeVar("T", bound=msgspec.Struct)


def decode_query(query_string: bytes, struct: type[T]) -> T:
    if not query_string:
        return _convert_text({}, struct)
    repeated = list_fields(struct)
    values: dict[str, Any] = {}
    for name, value in parse_qsl(
        query_string.decode("latin-1"), keep_blank_values=True
    ):
        if name in repeated:
            values.setdefault(name, []).append(value)
        elif name in values:
            # Which of two values was meant is a guess; the schema says one.
            raise invalid_request(f"{name}: given more than once")
        else:
            values[name] = value
    return _convert_text(values, struct)


def _convert_text(values: dict[str, Any], struct: type[T]) -> T:
    """`convert` of text inputs, where the text `null` stays text.

    msgspec's lax mode reads the string "null" as None, which would make
    `?wait=null` mean "no wait" and `?goal=null` mean "no filter". Text inputs
    have no null: it is the four letters for a text field, and refused for any
    other.
    """
    result = convert(values, struct, strict=False)
    if "null" not in values.values():
        return result
    for encode_name, name, takes_text in _nullable_fields(struct):
        if values.get(encode_name) != "null" or getattr(result, name) is not None:
            continue
        if not takes_text:
            raise invalid_request(f"{encode_name}: Expected a value, got `null`")
        result = msgspec.structs.replace(result, **{name: "null"})
    return result


@cache
def _nullable_fields(struct: type[msgspec.Struct]) -> tuple[tuple[str, str, bool], ...]:
    """(wire name, attribute, whether it takes text) of each field; resolved
    once per Struct, since resolving annotations costs more than a request."""
    return tuple(
        (field.encode_name, field.name, _takes_text(field.type))
        for field in msgspec.structs.fields(struct)
    )


def _takes_text(annotation: Any) -> bool:
    info = msgspec.inspect.type_info(annotation)
    options = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    for option in options:
        while isinstance(option, msgspec.inspect.Metadata):
            option = option.type
        if isinstance(option, msgspec.inspect.StrType):
            return True
    return False


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
    return _convert_text(values, struct)
