"""Unauthenticated endpoints about the server itself: health, metrics, OpenAPI."""

from __future__ import annotations

import hmac

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import ApiError
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from intent_bus.server.schemas import ErrorBody, HealthResponse, MetricsHeaders

_HEALTH = HealthResponse(status="ok", version=protocol.PROTOCOL_VERSION)


async def healthz(call: Call, _: None) -> Reply:
    """200 once the store is open: the lifespan finishes before serving."""
    return json_reply(200, _HEALTH)


async def metrics(call: Call, _: None) -> Reply:
    """Prometheus text format, unauthenticated like /healthz; per-namespace
    series name tenants' queues, so they need the metrics key or an admin key."""
    services = call.services
    per_namespace = await _sees_namespaces(call)
    body = await services.metrics.render(
        services.store, call.now, services.hub, per_namespace=per_namespace
    )
    return Reply(200, body, content_type=METRICS_CONTENT_TYPE)


async def _sees_namespaces(call: Call) -> bool:
    """False without a key; True for the metrics key or an admin key; a wrong
    key is refused rather than silently shown less."""
    headers: MetricsHeaders = call.headers
    secret = headers.api_key
    if headers.authorization is not None:
        scheme, _, token = headers.authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, ErrorCode.UNAUTHORIZED, "Authorization must be 'Bearer <key>'"
            )
        secret = token.strip()
    if secret is None:
        return False
    expected = call.services.settings.metrics_key
    if expected is not None and hmac.compare_digest(expected.encode(), secret.encode()):
        return True
    key = await call.services.auth.lookup(secret)
    if key is None:
        raise ApiError(401, ErrorCode.UNAUTHORIZED, "unknown or revoked key")
    if key.role != protocol.ROLE_ADMIN:
        raise ApiError(
            403,
            ErrorCode.FORBIDDEN,
            "per-namespace metrics need the metrics key or an admin key",
        )
    return True


async def openapi(call: Call, _: None) -> Reply:
    return Reply(200, call.services.openapi)


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
        "Prometheus metrics: requests by route and status, intents by status;"
        " per namespace too with the metrics key or an admin key",
        access="public",
        headers=MetricsHeaders,
        responses={200: None, 401: ErrorBody, 403: ErrorBody},
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
)
