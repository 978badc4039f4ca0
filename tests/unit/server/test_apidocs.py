"""The /docs renderer and the / negotiation: pure functions, no server."""

from __future__ import annotations

from html import escape
from typing import Annotated

import msgspec
import pytest
from msgspec import Meta, Struct

from intent_bus.server.apidocs.page import operations, render_page
from intent_bus.server.apidocs.schema import Piece, limits, type_pieces
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply
from intent_bus.server.openapi import build_openapi
from intent_bus.server.routes import ENDPOINTS
from intent_bus.server.routes.docs import prefers_json


def _text(pieces: tuple[Piece, ...]) -> str:
    return "".join(p.text for p in pieces)


def test_types_are_put_into_words_with_links_to_components() -> None:
    assert _text(type_pieces({"type": "string"})) == "string"
    nullable = {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert _text(type_pieces(nullable)) == "number or null"
    listed = type_pieces({"type": "array", "items": {"$ref": "#/components/schemas/K"}})
    assert listed == (Piece("array of "), Piece("K", "K"))
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert _text(type_pieces(counts)) == "object of integer"
    assert _text(type_pieces({"enum": ["json", "text"]})) == 'one of "json", "text"'
    assert _text(type_pieces({})) == "any JSON"


def test_limits_name_every_bound_and_the_default() -> None:
    assert limits({"type": "string", "minLength": 1, "maxLength": 128}) == (
        "1 to 128 characters",
    )
    assert limits({"type": "number", "exclusiveMinimum": 0, "maximum": 30.0}) == (
        "> 0",
        "≤ 30",
    )
    optional = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]}
    assert limits({**optional, "default": None}) == ("≥ 0", "default null")
    assert limits({"type": "string", "maxLength": 64, "default": "default"}) == (
        "at most 64 characters",
        'default "default"',
    )


class Evil(Struct, kw_only=True):
    """<img src=x onerror=alert(2)> in a schema description"""

    field_: Annotated[str, Meta(description="<b>bold</b> & more")] = msgspec.field(
        name="<i>name</i>"
    )


async def _evil(call: Call, _: None) -> Reply:
    return Reply(200)


EVIL = Endpoint(
    "POST",
    "/evil/{id}",
    _evil,
    "<script>alert(1)</script>",
    body=Evil,
    responses={200: Evil},
)


def test_markup_in_the_document_is_shown_as_text_never_run() -> None:
    page = render_page(build_openapi([*ENDPOINTS, EVIL]))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "<i>" not in page and "&lt;i&gt;name&lt;/i&gt;" in page


def test_every_operation_of_the_document_is_rendered() -> None:
    document = build_openapi(ENDPOINTS)
    page = render_page(document)
    listed = operations(document)
    assert len(listed) == len(ENDPOINTS)
    for method, path, operation in listed:
        heading = f'{method.upper()}</span> <code class="path">{path}</code>'
        assert heading in page, (method, path)
        assert escape(operation["summary"]) in page


@pytest.mark.parametrize(
    ("accept", "json"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("text/html;q=0.5, application/json", True),
        ("application/json;q=0.4, text/html;q=0.9", False),
        ("application/*", True),
        ("application/json;q=0", False),
        ("application/json;q=nonsense", False),
        ("text/plain", False),
    ],
)
def test_root_answers_json_only_when_accept_prefers_it(
    accept: str | None, json: bool
) -> None:
    assert prefers_json(accept) is json
