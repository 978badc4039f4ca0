"""The API's endpoints, one module per group; `ENDPOINTS` is the route table."""

from __future__ import annotations

from intent_bus.server.http.endpoint import Endpoint
from intent_bus.server.routes import admin, intents, kv, leases, meta, schedules, ui

ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *intents.ENDPOINTS,
    *leases.ENDPOINTS,
    *kv.ENDPOINTS,
    *admin.ENDPOINTS,
    *schedules.ENDPOINTS,
    *ui.ENDPOINTS,
)
