"""/openapi.json documents every route with the Structs the server really uses."""

from __future__ import annotations

import httpx
import msgspec

from intent_bus.server.app import create_app
from intent_bus.server.openapi import REF_TEMPLATE, openapi_path
from intent_bus.server.routes import ENDPOINTS
from intent_bus.server.settings import Settings
from tests.harness import ServerHandle


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
        structs = {str(status): struct for status, struct in endpoint.responses.items()}
        if endpoint.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"][
                "$ref"
            ]
            assert ref.rsplit("/", 1)[-1] == endpoint.body.__name__
            structs["request"] = endpoint.body
        for status, struct in endpoint.responses.items():
            if struct is None:
                continue
            content = operation["responses"][str(status)]["content"]
            ref = content["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[-1] == struct.__name__
        for struct in structs.values():
            if struct is None:
                continue
            _, expected = msgspec.json.schema_components(
                [struct], ref_template=REF_TEMPLATE
            )
            for name, schema in expected.items():
                assert schemas[name] == schema, name


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
