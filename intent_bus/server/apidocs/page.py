"""The /docs page: one HTML document rendered from the OpenAPI document.

Every piece of text that comes from the document (summaries, names,
descriptions, defaults) goes through `html.escape`, so a summary holding
markup is shown, never run. The page needs no script and nothing from another
origin: its only asset is the stylesheet served beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from intent_bus.server.apidocs.schema import (
    Field,
    Piece,
    object_fields,
    parameter_field,
    ref_name,
)

STYLESHEET = "/docs/style.css"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9]")


def _anchor(prefix: str, text: str) -> str:
    return prefix + _UNSAFE_ID.sub("-", text)


def operations(document: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation, in the document's order."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                found.append((method, path, item[method]))
    return found


def _type_html(pieces: Iterable[Piece]) -> str:
    return "".join(
        f'<a href="#{escape(_anchor("schema-", p.ref))}">{escape(p.text)}</a>'
        if p.ref is not None
        else escape(p.text)
        for p in pieces
    )


def _fields_html(fields: Iterable[Field], kind: str = "") -> str:
    rows = []
    for field in fields:
        facts = [f'<span class="type">{_type_html(field.type)}</span>']
        if kind:
            facts.append(f'<span class="in">{escape(kind)}</span>')
        facts.append(
            '<span class="required">required</span>'
            if field.required
            else '<span class="optional">optional</span>'
        )
        facts += [f'<span class="limit">{escape(text)}</span>' for text in field.limits]
        description = f"<p>{escape(field.description)}</p>" if field.description else ""
        rows.append(
            f'<li><code class="name">{escape(field.name)}</code> '
            f"{' '.join(facts)}{description}</li>"
        )
    if not rows:
        return ""
    return f'<ul class="fields">{"".join(rows)}</ul>'


def _parameters_html(operation: Mapping[str, Any]) -> str:
    parameters = operation.get("parameters", ())
    if not parameters:
        return ""
    items = []
    for where in ("path", "query", "header", "cookie"):
        chosen = [parameter_field(p) for p in parameters if p.get("in") == where]
        items.append(_fields_html(chosen, where))
    return "<h4>Parameters</h4>" + "".join(items)


def _body_html(operation: Mapping[str, Any], schemas: Mapping[str, Any]) -> str:
    body = operation.get("requestBody")
    if not body:
        return ""
    parts = ["<h4>Request body</h4>"]
    for content_type, media in body.get("content", {}).items():
        schema = media.get("schema", {})
        name = ref_name(schema)
        target = schemas.get(name, {}) if name is not None else schema
        label = _type_html([Piece(name, name)]) if name is not None else "JSON"
        required = "required" if body.get("required") else "optional"
        parts.append(
            f'<p><span class="media">{escape(content_type)}</span> {label} '
            f"({required})</p>"
        )
        if target.get("description"):
            parts.append(f"<p>{escape(str(target['description']))}</p>")
        parts.append(_fields_html(object_fields(target)))
    return "".join(parts)


def _responses_html(operation: Mapping[str, Any]) -> str:
    rows = []
    for status, response in operation.get("responses", {}).items():
        bodies = []
        for content_type, media in response.get("content", {}).items():
            schema = media.get("schema", {})
            # A status that answers one of several bodies lists each of them.
            names = [ref_name(branch) for branch in schema.get("oneOf", [schema])]
            shape = "".join(
                f" {_type_html([Piece(name, name)])}" for name in names if name
            )
            bodies.append(f'<span class="media">{escape(content_type)}</span>{shape}')
        kind = "error" if str(status)[:1] in ("4", "5") else "ok"
        rows.append(
            f'<li><span class="status {kind}">{escape(str(status))}</span> '
            f"{escape(str(response.get('description', '')))}"
            f"{' — ' + ', '.join(bodies) if bodies else ''}</li>"
        )
    return f'<h4>Responses</h4><ul class="responses">{"".join(rows)}</ul>'


def _access_html(operation: Mapping[str, Any], key_header: str) -> str:
    if not operation.get("security"):
        return '<span class="access public">no key</span>'
    tags = [str(t) for t in operation.get("tags", ())]
    who = "admin key" if "admin" in tags else "key"
    return f'<span class="access">{escape(who)} in {escape(key_header)}</span>'


def _operation_html(
    anchor: str,
    method: str,
    path: str,
    operation: Mapping[str, Any],
    schemas: Mapping[str, Any],
    key_header: str,
) -> str:
    return (
        f'<section class="operation" id="{escape(anchor)}">'
        f'<h3><span class="method {method}">{method.upper()}</span> '
        f'<code class="path">{escape(path)}</code> '
        f"{_access_html(operation, key_header)}</h3>"
        f'<p class="summary">{escape(str(operation.get("summary", "")))}</p>'
        f"{_parameters_html(operation)}{_body_html(operation, schemas)}"
        f"{_responses_html(operation)}</section>"
    )


def _schema_html(name: str, schema: Mapping[str, Any]) -> str:
    description = schema.get("description")
    text = f"<p>{escape(str(description))}</p>" if description else ""
    return (
        f'<section class="schema" id="{escape(_anchor("schema-", name))}">'
        f"<h3><code>{escape(name)}</code></h3>{text}"
        f"{_fields_html(object_fields(schema))}</section>"
    )


def _key_header(document: Mapping[str, Any]) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey":
            return str(scheme.get("name", "API key"))
    return "API key"


def render_page(document: Mapping[str, Any]) -> str:
    """The whole reference as one HTML page."""
    info = document.get("info", {})
    schemas = document.get("components", {}).get("schemas", {})
    key_header = _key_header(document)
    listed = operations(document)
    anchors: list[str] = []
    for method, path, _ in listed:
        anchor = _anchor(f"op-{method}-", path)
        while anchor in anchors:  # distinct paths may differ only in punctuation
            anchor += "-"
        anchors.append(anchor)
    toc = "".join(
        f'<li><a href="#{escape(anchor)}"><span class="method {method}">'
        f"{method.upper()}</span> <code>{escape(path)}</code></a> "
        f'<span class="summary">{escape(str(op.get("summary", "")))}</span></li>'
        for anchor, (method, path, op) in zip(anchors, listed, strict=True)
    )
    body = "".join(
        _operation_html(anchor, method, path, op, schemas, key_header)
        for anchor, (method, path, op) in zip(anchors, listed, strict=True)
    )
    models = "".join(_schema_html(name, schema) for name, schema in schemas.items())
    title = escape(str(info.get("title", "API")))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} API reference</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}">'
        '<link rel="icon" href="data:,"></head><body>'
        f'<header><h1>{title} API reference <span class="version">'
        f"{escape(str(info.get('version', '')))}</span></h1>"
        f"<p>{escape(str(info.get('description', '')))}</p>"
        f"<p>Operations marked with a key take it in the "
        f"<code>{escape(key_header)}</code> header. This page is generated from "
        '<a href="/openapi.json">/openapi.json</a>, the machine-readable document; '
        'the web console is at <a href="/ui">/ui</a>.</p></header>'
        f'<nav><h2>Operations</h2><ul class="toc">{toc}</ul>'
        f'<p><a href="#schemas">Schemas</a></p></nav>'
        f"<main>{body}"
        f'<h2 id="schemas">Schemas</h2>{models}</main></body></html>\n'
    )
