"""Request bodies: read with a size limit, check nesting, decode into a Struct.

Decoding happens in two steps so that the error says whose fault it is: bytes
that are not JSON (including NaN/Infinity and out-of-range numbers) are
`invalid_json`; JSON of the wrong shape is `invalid_request` naming the field.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import sys
from itertools import accumulate
from typing import Any, Final, TypeVar

import msgspec
import msgspec.inspect

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import ApiError, invalid_request

T = TypeVar("T", bound=msgspec.Struct)

_any_decoder = msgspec.json.Decoder()
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_TEXT_RULE = f"matching regex {protocol.TEXT_PATTERN!r}"
_FIELD = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


# Set in a request's scope by the connection once its whole body has arrived:
# reading it then cannot wait, so no deadline is armed for it.
BODY_ARRIVED: Final = "intent_bus.body_arrived"


def too_large(limit: int) -> ApiError:
    return ApiError(
        413, ErrorCode.PAYLOAD_TOO_LARGE, f"request body exceeds {limit} bytes"
    )


async def read_body(
    scope: dict[str, Any],
    receive: Any,
    limit: int,
    timeout: float = protocol.REQUEST_TIMEOUT_SECONDS,
) -> bytes:
    """The whole request body, refusing more than `limit` bytes, or a body that
    has not fully arrived within `timeout` seconds (408, connection closed: a
    client that sends less than its Content-Length must not hold a slot).

    Content-Length is checked first so an honest oversized upload is refused
    without reading it; the running count catches chunked or lying clients.
    """
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise invalid_request("invalid Content-Length header") from None
            if declared > limit:
                raise too_large(limit)
            break
    if scope.get(BODY_ARRIVED):
        return await _read_all(receive, limit)
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(timeout):
                return await _read_all(receive, limit)
        return await asyncio.wait_for(_read_all(receive, limit), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        raise ApiError(
            408,
            ErrorCode.REQUEST_TIMEOUT,
            f"the request body did not arrive within {timeout:g} s",
            ((b"connection", b"close"),),
        ) from None


async def _read_all(receive: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # client went away; an empty/partial body fails decoding
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if len(chunks) == 1:
        return chunks[0]
    return b"".join(chunks)


def nesting_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit`.

    Counting brackets first is a C-speed test that settles nearly every body;
    only bodies with more brackets than the limit get the exact scan, which
    skips brackets inside strings.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _BRACKETS.findall(_STRING.sub(b"", body))
    steps = (1 if b in (b"[", b"{") else -1 for b in brackets)
    return max(accumulate(steps), default=0) > limit


def decode_json(body: bytes, max_depth: int) -> Any:
    """Any JSON value (an empty body means `{}`); raises invalid_json."""
    if not body.strip():
        return {}
    if nesting_depth_exceeds(body, max_depth):
        raise invalid_request(f"JSON nesting deeper than {max_depth} levels")
    try:
        return _any_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise ApiError(400, ErrorCode.INVALID_JSON, f"invalid JSON: {exc}") from None


def _is_integer(info: msgspec.inspect.Type) -> bool:
    """An integer type, documented (Metadata) or optional (a union with None)."""
    if isinstance(info, msgspec.inspect.Metadata):
        return _is_integer(info.type)
    if isinstance(info, msgspec.inspect.UnionType):
        return any(_is_integer(member) for member in info.types)
    return isinstance(info, msgspec.inspect.IntType)


@functools.cache
def _integer_fields(struct: type[msgspec.Struct]) -> frozenset[str]:
    """The wire names of a Struct's fields whose type is an integer."""
    return frozenset(
        f.encode_name
        for f in msgspec.structs.fields(struct)
        if _is_integer(msgspec.inspect.type_info(f.type))
    )


@functools.cache
def _item_structs(struct: type[msgspec.Struct]) -> dict[str, type[msgspec.Struct]]:
    """The wire names of a Struct's list-of-Struct fields (a batch's items)."""
    found = {}
    for f in msgspec.structs.fields(struct):
        info = msgspec.inspect.type_info(f.type)
        if isinstance(info, msgspec.inspect.Metadata):
            info = info.type
        if isinstance(info, msgspec.inspect.ListType) and isinstance(
            info.item_type, msgspec.inspect.StructType
        ):
            found[f.encode_name] = info.item_type.cls
    return found


def _whole_numbers(value: Any, struct: type[msgspec.Struct]) -> Any:
    """`5.0` for an integer field is 5, as JSON Schema's `integer` says; in
    a batch's items too."""
    if not isinstance(value, dict):
        return value
    names = _integer_fields(struct)
    items = _item_structs(struct)
    fixed = {}
    for name, item in value.items():
        if name in names and isinstance(item, float) and item.is_integer():
            item = int(item)
        elif name in items and isinstance(item, list):
            item = [_whole_numbers(element, items[name]) for element in item]
        fixed[name] = item
    return fixed


def convert(value: Any, struct: type[T], *, strict: bool = True) -> T:
    """Validates decoded input against a request Struct; errors name the field.

    `strict=False` lets text become numbers, for query strings and headers.
    """
    if strict:
        value = _whole_numbers(value, struct)
    try:
        return msgspec.convert(value, struct, strict=strict)
    except msgspec.ValidationError as exc:
        raise invalid_request(describe_validation_error(str(exc))) from None


def describe_validation_error(message: str) -> str:
    """`Expected int <= 10 - at $.priority` -> `priority: Expected int <= 10`."""
    match = _FIELD.search(message)
    if match is None:
        if message.startswith("Expected `object`"):
            return "request body must be a JSON object"
        return message
    # An optional input's type reads `float | null`; null is never sent as text.
    head = message[: match.start()].replace(" | null`", "`")
    head = head.replace(_TEXT_RULE, "without NUL characters")
    path = match.group("path")
    return f"{path}: {head}" if path else head


def canonical_hash(value: Any) -> str:
    """sha256 of a decoded body re-encoded with sorted keys: bodies that differ
    only in key order or whitespace are the same publish."""
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()


def encode_value(value: Any) -> bytes:
    """A decoded JSON value back to the bytes the store keeps."""
    return msgspec.json.encode(value)
