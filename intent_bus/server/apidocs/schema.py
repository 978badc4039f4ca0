"""JSON Schema fragments of the OpenAPI document, put into words.

Pure functions over plain JSON: a type becomes a list of `Piece`s (text, and the
component it names, so the page can link it) and the constraints a sentence
each ("1 to 128 characters", "> 0", "default 30"). Any schema msgspec can emit is
described; an unknown keyword is ignored rather than guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of a type's description; `ref` names the component it points to."""

    text: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One property of an object schema, or one parameter, as the page lists it."""

    name: str
    type: tuple[Piece, ...]
    required: bool
    limits: tuple[str, ...]
    description: str


def ref_name(schema: Mapping[str, Any]) -> str | None:
    """`{"$ref": "#/components/schemas/X"}` -> "X"."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        return ref[len(REF_PREFIX) :]
    return None


def _literal(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def type_pieces(schema: Mapping[str, Any]) -> tuple[Piece, ...]:
    """The type in words: "string", "integer or null", "array of KeyView"..."""
    name = ref_name(schema)
    if name is not None:
        return (Piece(name, name),)
    if "const" in schema:
        return (Piece(_literal(schema["const"])),)
    if "enum" in schema:
        return (Piece("one of " + ", ".join(_literal(v) for v in schema["enum"])),)
    for combiner in ("anyOf", "oneOf"):
        if combiner in schema:
            pieces: list[Piece] = []
            for index, branch in enumerate(schema[combiner]):
                if index:
                    pieces.append(Piece(" or "))
                pieces.extend(type_pieces(branch))
            return tuple(pieces)
    kind = schema.get("type")
    if isinstance(kind, list):
        return (Piece(" or ".join(str(k) for k in kind)),)
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, Mapping) and items:
            return (Piece("array of "), *type_pieces(items))
        return (Piece("array"),)
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping) and values:
            return (Piece("object of "), *type_pieces(values))
        return (Piece("object"),)
    if isinstance(kind, str):
        return (Piece(kind),)
    return (Piece("any JSON"),)


def _range(low: str | None, high: str | None, unit: str) -> str | None:
    if low is not None and high is not None:
        return f"{low} to {high}{unit}"
    if high is not None:
        return f"at most {high}{unit}"
    if low is not None:
        return f"at least {low}{unit}"
    return None


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def limits(schema: Mapping[str, Any]) -> tuple[str, ...]:
    """The constraints of a schema (and of its non-null alternatives)."""
    found: list[str] = []
    for combiner in ("anyOf", "oneOf"):
        for branch in schema.get(combiner, ()):
            found.extend(limits(branch))
    for low, high, unit in (
        ("minLength", "maxLength", " characters"),
        ("minItems", "maxItems", " items"),
        ("minProperties", "maxProperties", " entries"),
    ):
        text = _range(
            _number(schema[low]) if low in schema else None,
            _number(schema[high]) if high in schema else None,
            unit,
        )
        if text is not None:
            found.append(text)
    for keyword, symbol in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if keyword in schema:
            found.append(f"{symbol} {_number(schema[keyword])}")
    if "pattern" in schema:
        found.append(f"matches {schema['pattern']}")
    if "default" in schema:
        found.append(f"default {_literal(schema['default'])}")
    return tuple(found)


def object_fields(schema: Mapping[str, Any]) -> tuple[Field, ...]:
    """The properties of an object schema, in the document's order."""
    required = set(schema.get("required", ()))
    return tuple(
        Field(
            name=name,
            type=type_pieces(prop),
            required=name in required,
            limits=limits(prop),
            description=str(prop.get("description", "")),
        )
        for name, prop in schema.get("properties", {}).items()
    )


def parameter_field(parameter: Mapping[str, Any]) -> Field:
    """An OpenAPI parameter (path, query or header) as a `Field`."""
    schema = parameter.get("schema", {})
    return Field(
        name=str(parameter.get("name", "")),
        type=type_pieces(schema),
        required=bool(parameter.get("required", False)),
        limits=limits(schema),
        description=str(parameter.get("description", "")),
    )
