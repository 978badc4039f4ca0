"""The OpenAPI 3.1 document, generated from the route table and the Structs.

Nothing here is written by hand twice: paths, methods and summaries come from
the `Endpoint` declarations; bodies, query and header parameters from
`msgspec.json.schema_components` of the same Structs the server decodes and
encodes with (whose limits come from `protocol`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec

from intent_bus import protocol
from intent_bus._version import __version__
from intent_bus.server.http.endpoint import Endpoint, Response

_PARAM = re.compile(r"\{(?P<name>\w+)(?::\w+)?\}")
REF_TEMPLATE = "#/components/schemas/{name}"


def openapi_path(path: str) -> str:
    """A route's `/set/{key:path}` -> OpenAPI's `/set/{key}`."""
    return _PARAM.sub(lambda m: "{" + m.group("name") + "}", path)


def _structs(endpoints: Iterable[Endpoint]) -> list[type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    for endpoint in endpoints:
        for response in (endpoint.body, *endpoint.responses.values()):
            for struct in _alternatives(response):
                found.setdefault(struct.__name__, struct)
    return sorted(found.values(), key=lambda s: s.__name__)


def _alternatives(response: Response) -> tuple[type[msgspec.Struct], ...]:
    if response is None:
        return ()
    return response if isinstance(response, tuple) else (response,)


def _schema(response: Response) -> dict[str, Any]:
    """One Struct's reference, or `oneOf` the Structs the request may get."""
    structs = _alternatives(response)
    if len(structs) == 1:
        return _ref(structs[0])
    return {"oneOf": [_ref(struct) for struct in structs]}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "operationId": endpoint.handler.__name__,
    }
    parameters = [
        {
            "name": m.group("name"),
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        }
        for m in _PARAM.finditer(endpoint.path)
    ]
    if endpoint.query is not None:
        parameters += _parameters(endpoint.query, "query")
    if endpoint.headers is not None:
        parameters += _parameters(endpoint.headers, "header")
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            # An empty body reads as `{}`: it may be left out only when the
            # Struct has no required field.
            "required": any(f.required for f in msgspec.structs.fields(endpoint.body)),
            "content": {"application/json": {"schema": _ref(endpoint.body)}},
        }
    responses: dict[str, Any] = {}
    for status, struct in sorted(endpoint.responses.items()):
        response: dict[str, Any] = {"description": _describe(status)}
        if struct is not None:
            response["content"] = {"application/json": {"schema": _schema(struct)}}
            if endpoint.content_type != "application/json":
                # Negotiated: the JSON Struct, or the endpoint's own type.
                response["content"][endpoint.content_type] = {}
        elif status != 204:
            response["content"] = {endpoint.content_type: {}}
        responses[str(status)] = response
    if endpoint.access != "public":
        operation["security"] = [{"apiKey": []}]
        for status in (400, 401, 403, 429, 503):
            responses.setdefault(str(status), _error_response(status))
    # The HTTP layer answers these before any endpoint runs (server/http/
    # connection.py): a head or target over its limit, or a client too slow.
    for status in TRANSPORT_ERRORS:
        responses.setdefault(str(status), _error_response(status))
    operation["responses"] = responses
    if endpoint.access == "admin":
        operation["tags"] = ["admin"]
    return operation


def _parameters(struct: type[msgspec.Struct], where: str) -> list[dict[str, Any]]:
    """One OpenAPI parameter per field of an input Struct.

    An optional field's `X | None` becomes just X: a parameter is absent or
    text, never null; its default is documented when it has one.
    """
    _, components = msgspec.json.schema_components([struct], ref_template=REF_TEMPLATE)
    component = components[struct.__name__]
    required = set(component.get("required", ()))
    parameters = []
    for field_name, prop in component["properties"].items():
        prop = dict(prop)
        default = prop.pop("default", None)
        alternatives = [
            branch for branch in prop.pop("anyOf", ()) if branch != {"type": "null"}
        ]
        if len(alternatives) == 1:
            prop.update(alternatives[0])
        elif alternatives:
            prop["anyOf"] = alternatives
        if default is not None:
            prop["default"] = default
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {
            "name": field_name,
            "in": where,
            "required": field_name in required,
            "schema": prop,
        }
        if description is not None:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _ref(struct: type[msgspec.Struct]) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(name=struct.__name__)}


_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: not terminal yet",
    204: "No content",
    400: "invalid_json or invalid_request",
    401: "unauthorized",
    403: "forbidden or invalid_signature",
    404: "not_found or lease_lost",
    409: "conflict",
    408: "request_timeout: the request did not arrive in time",
    413: "payload_too_large",
    414: "uri_too_long",
    429: "rate_limited (Retry-After)",
    431: "headers_too_large",
    503: "busy (Retry-After)",
}

TRANSPORT_ERRORS = (408, 414, 431, 503)
"""Answers any request may get from the HTTP layer, whatever its operation."""


def _describe(status: int) -> str:
    return _DESCRIPTIONS.get(status, str(status))


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": _describe(status),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
        },
    }


def build_openapi(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    endpoints = list(endpoints)
    from intent_bus.server.schemas import CROSS_FIELD_RULES, ErrorBody

    structs = _structs(endpoints)
    if ErrorBody not in structs:
        structs.append(ErrorBody)
    _, components = msgspec.json.schema_components(structs, ref_template=REF_TEMPLATE)
    for name, rule in CROSS_FIELD_RULES.items():
        if name in components:
            components[name].update(rule)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        item = paths.setdefault(openapi_path(endpoint.path), {})
        item[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Intent Bus",
            "version": __version__,
            "description": (
                f"Intent Protocol v2.1 (X-Intent-Version {protocol.PROTOCOL_VERSION})."
                ' Every error is {"error": {"code", "message"}}.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": protocol.HEADER_API_KEY,
                },
            },
        },
    }
