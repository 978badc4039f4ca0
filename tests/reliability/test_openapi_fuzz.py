"""The OpenAPI document is the truth: schemathesis fuzzes a live server from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from intent_bus import protocol
from intent_bus.server.openapi import build_openapi
from intent_bus.server.routes import ENDPOINTS
from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server

DOCUMENT = build_openapi(ENDPOINTS)


def _typed_inputs(operation: dict[str, Any]) -> bool:
    parameters = operation.get("parameters", ())
    return "requestBody" in operation or any(p["in"] != "path" for p in parameters)


# Unknown query parameters are ignored (forward compatibility), not refused.
# Invalid input may also be refused by the HTTP layer before any schema check:
# a target over its limit (414), a head too large (431) or a body over its limit
# (413: a batch with too many items may be refused for its size first) is a
# refusal too.
REFUSALS = [
    *("400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422")
]
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [*REFUSALS, "428", "429", "431"]
            }
        },
    }
)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
# What JSON Schema cannot say: whether a cron expression ("0", "99 * * * *") or
# a time-zone name is real is decided by the cron library and the tz database.
# Such a body is refused with 400 naming `cron` or `timezone`
# (tests/server/test_schedules.py checks those answers one by one).
BEYOND_SCHEMA = {"PUT /schedules/{name}": [positive_data_acceptance]}
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    # Without typed inputs (a path segment may be any text) nothing is invalid.
    if mode is GenerationMode.POSITIVE or _typed_inputs(operation.definition.raw)
]


def _short_wait(case: Any) -> Any:
    """A long-poll holds the request by design: cap it to keep the budget."""
    wait = case.query.get("wait") if isinstance(case.query, dict) else None
    if isinstance(wait, (int, float)) and 0.2 < wait <= protocol.MAX_WAIT_SECONDS:
        case.query["wait"] = 0.2
    return case


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    db = tmp_path_factory.mktemp("fuzz") / "bus.db"
    with running_server(Settings(db_url=f"sqlite:///{db}")) as handle:
        yield handle


@pytest.fixture(scope="module")
def tenant_key(live: ServerHandle) -> str:
    return live.create_tenant()


def test_the_served_document_is_the_one_fuzzed(live: ServerHandle) -> None:
    assert httpx.get(f"{live.url}/openapi.json").json() == DOCUMENT


@pytest.mark.parametrize("role", ["tenant", "admin"])
@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_operation(
    operation: Any, role: str, mode: GenerationMode, live: ServerHandle, tenant_key: str
) -> None:
    """No 5xx, only documented statuses, conforming bodies, headers and content
    types; schema-valid input is accepted and schema-invalid input refused."""
    key = live.admin_key if role == "admin" else tenant_key

    @given(case=operation.as_strategy(mode).map(_short_wait))
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=live.url,
            headers={protocol.HEADER_API_KEY: key},
            timeout=10,
            excluded_checks=BEYOND_SCHEMA.get(operation.label, []),
        )

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip(f"{operation.label}: no input can violate its schema")


def test_a_whole_number_written_as_float_is_an_integer(
    live: ServerHandle, tenant_key: str
) -> None:
    """JSON Schema's `integer` includes 5.0; 5.5 is still refused."""
    headers = {protocol.HEADER_API_KEY: tenant_key}
    body: dict[str, Any] = {"goal": "whole", "priority": 5.0, "max_attempts": 2.0}
    published = httpx.post(f"{live.url}/intent", json=body, headers=headers)
    assert published.status_code == 201, published.text
    refused = httpx.post(
        f"{live.url}/intent", json={**body, "priority": 5.5}, headers=headers
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_request"


def test_bodies_with_required_fields_are_documented_as_required() -> None:
    required = {
        (path, method): operation["requestBody"]["required"]
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }
    assert required[("/intent", "post")] is True
    assert required[("/admin/keys", "post")] is True


@pytest.mark.parametrize("path", sorted(DOCUMENT["paths"]))
def test_an_undocumented_method_is_405_with_the_documented_allow(
    path: str, live: ServerHandle, tenant_key: str
) -> None:
    documented = {method.upper() for method in DOCUMENT["paths"][path]}
    concrete = re.sub(r"\{\w+\}", "x", path)
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - documented):
        response = httpx.request(
            method,
            live.url + concrete,
            headers={protocol.HEADER_API_KEY: tenant_key},
        )
        assert response.status_code == 405, (method, path, response.text)
        allow = {m.strip() for m in response.headers["allow"].split(",")}
        assert allow == documented, (method, path)
        assert response.json()["error"]["code"]
