"""The API's endpoints, one module per group; `ENDPOINTS` is the route table."""

from __future__ import annotations

from intent_bus.server.endpoint import Endpoint
from intent_bus.server.routes import admin, claims, intents, kv, meta, ui

ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *intents.ENDPOINTS,
    *claims.ENDPOINTS,
    *kv.ENDPOINTS,
    *admin.ENDPOINTS,
    *ui.ENDPOINTS,
)
