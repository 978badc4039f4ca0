"""Unauthenticated endpoints about the server itself: health, metrics, API docs."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from intent_bus.server.schemas import HealthResponse

_HEALTH = HealthResponse(status="ok", version=protocol.PROTOCOL_VERSION)

DOCS_PAGE = b"""<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Intent Bus API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
</body>
</html>
"""


async def healthz(call: Call, _: None) -> Reply:
    """200 once the store is open: the lifespan finishes before serving."""
    return json_reply(200, _HEALTH)


async def metrics(call: Call, _: None) -> Reply:
    """Prometheus text format; unauthenticated like /healthz, so bind the server
    to a private interface or filter /metrics at the proxy if that matters."""
    services = call.services
    body = await services.metrics.render(services.store, call.now, services.hub)
    return Reply(200, body, content_type=METRICS_CONTENT_TYPE)


async def openapi(call: Call, _: None) -> Reply:
    return Reply(200, call.services.openapi)


async def docs(call: Call, _: None) -> Reply:
    return Reply(200, DOCS_PAGE, content_type=b"text/html; charset=utf-8")


ENDPOINTS = (
    Endpoint(
        "GET",
        "/healthz",
        healthz,
        "Liveness and readiness (no authentication)",
        access="public",
        responses={200: HealthResponse},
    ),
    Endpoint(
        "GET",
        "/health",
        healthz,
        "Liveness and readiness, the name some clients probe (same as /healthz)",
        access="public",
        responses={200: HealthResponse},
    ),
    Endpoint(
        "GET",
        "/metrics",
        metrics,
        "Prometheus metrics: requests by route and status, intents by status",
        access="public",
        responses={200: None},
        content_type="text/plain",
    ),
    Endpoint(
        "GET",
        "/openapi.json",
        openapi,
        "This OpenAPI document",
        access="public",
        responses={200: None},
    ),
    Endpoint(
        "GET",
        "/docs",
        docs,
        "Browsable API documentation",
        access="public",
        responses={200: None},
        content_type="text/html",
    ),
)
