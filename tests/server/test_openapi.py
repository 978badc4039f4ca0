"""/openapi.json documents every route with the Structs the server really uses."""

from __future__ import annotations

import re

import httpx
import msgspec

from intent_bus import protocol
from intent_bus.server.app import create_app
from intent_bus.server.openapi import REF_TEMPLATE, openapi_path
from intent_bus.server.routes import ENDPOINTS
from intent_bus.server.schemas import CROSS_FIELD_RULES
from intent_bus.server.settings import Settings
from tests.harness import ServerHandle
from tests.server.api import error_code


def test_every_route_of_the_app_is_documented(server: ServerHandle) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    app = create_app(Settings(db_url="sqlite:///unused.db"))
    routes = app.endpoints
    assert routes
    for route in routes:
        path = openapi_path(route.path)
        assert path in document["paths"], path
        assert route.method.lower() in document["paths"][path], (route.method, path)
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
    }
    served = {(r.method, openapi_path(r.path)) for r in routes}
    assert documented == served


def test_documented_schemas_are_the_structs_the_endpoints_use(
    server: ServerHandle,
) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    schemas = document["components"]["schemas"]
    for endpoint in ENDPOINTS:
        operation = document["paths"][openapi_path(endpoint.path)][
            endpoint.method.lower()
        ]
        structs: dict[str, type[msgspec.Struct]] = {}
        if endpoint.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"][
                "$ref"
            ]
            assert ref.rsplit("/", 1)[-1] == endpoint.body.__name__
            structs["request"] = endpoint.body
        for status, response in endpoint.responses.items():
            if response is None:
                continue
            # A status may answer one of several Structs (by the request).
            alternatives = response if isinstance(response, tuple) else (response,)
            content = operation["responses"][str(status)]["content"]
            schema = content["application/json"]["schema"]
            refs = [branch["$ref"] for branch in schema.get("oneOf", [schema])]
            names = [ref.rsplit("/", 1)[-1] for ref in refs]
            assert names == [struct.__name__ for struct in alternatives]
            for struct in alternatives:
                structs[f"{status} {struct.__name__}"] = struct
        for struct in structs.values():
            _, expected = msgspec.json.schema_components(
                [struct], ref_template=REF_TEMPLATE
            )
            for name, schema in expected.items():
                # The Struct's schema, plus the cross-field rules its route checks.
                rules = CROSS_FIELD_RULES.get(name, {})
                assert schemas[name] == {**schema, **rules}, name


def test_docs_page_loads_the_document(server: ServerHandle) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in page.text


def test_healthz_needs_no_key(server: ServerHandle) -> None:
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "7.61"}
    assert response.headers["X-Intent-Version"] == "7.61"
    assert response.headers.get_list("X-Intent-Version") == ["7.61"]  # once


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_wrong_method_is_405_with_the_documented_methods_in_allow(
    server: ServerHandle,
) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    for path, item in document["paths"].items():
        allowed = ", ".join(sorted(method.upper() for method in item))
        for method in ("GET", "POST", "DELETE", "PUT", "PATCH"):
            if method.lower() in item:
                continue
            response = httpx.request(method, f"{server.url}{_concrete(path)}")
            assert response.status_code == 405, (method, path)
            assert response.headers["Allow"] == allowed, (method, path)
            assert error_code(response) == "invalid_request"
            assert response.headers["X-Intent-Version"] == protocol.PROTOCOL_VERSION
    keys = httpx.delete(f"{server.url}/admin/keys")
    assert keys.headers["Allow"] == "GET, POST"


def test_unknown_paths_are_404_in_the_envelope(server: ServerHandle) -> None:
    # "/" itself is served (GET only), so POST / is 405: see the test above.
    for path in (
        "//",
        "/nope",
        "/intent/x",
        "/status",
        "/status/",
        "/healthz/",
        "/set/",
    ):
        response = httpx.post(f"{server.url}{path}")
        assert response.status_code == 404, path
        assert error_code(response) == "not_found"
        assert response.headers.get_list("X-Intent-Version") == [
            protocol.PROTOCOL_VERSION
        ]


def test_head_is_answered_as_get_without_a_body(server: ServerHandle) -> None:
    response = httpx.head(f"{server.url}/healthz")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Intent-Version"] == protocol.PROTOCOL_VERSION


def test_claim_parameters_are_documented_with_the_protocol_limits(
    server: ServerHandle,
) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    parameters = {
        (p["in"], p["name"]): p
        for p in document["paths"]["/claim"]["post"]["parameters"]
    }
    wait = parameters[("query", "wait")]
    assert wait["schema"]["maximum"] == protocol.MAX_WAIT_SECONDS
    assert wait["schema"]["exclusiveMinimum"] == 0
    assert wait["required"] is False and wait["description"]
    publisher = parameters[("query", "publisher")]["schema"]
    assert publisher["maxLength"] == protocol.OWNER_MAX_CHARS
    namespace = parameters[("query", "namespace")]["schema"]
    assert namespace["default"] == protocol.DEFAULT_NAMESPACE
    assert namespace["maxLength"] == protocol.NAMESPACE_MAX_CHARS
    worker = parameters[("header", protocol.HEADER_WORKER_ID)]["schema"]
    assert worker["maxLength"] == protocol.WORKER_ID_MAX_CHARS
    assert ("header", protocol.HEADER_WORKER_CAPABILITIES) in parameters
    publish = document["paths"]["/intent"]["post"]["parameters"]
    assert [(p["in"], p["name"]) for p in publish] == [
        ("header", protocol.HEADER_IDEMPOTENCY_KEY)
    ]
    limit = {
        p["name"]: p for p in document["paths"]["/admin/dead"]["get"]["parameters"]
    }
    assert limit["limit"]["schema"]["maximum"] == protocol.DEAD_LIST_MAX
