"""The API's endpoints, one module per group; `ENDPOINTS` is the route table."""

from __future__ import annotations

from intent_bus.server.http.endpoint import Endpoint
from intent_bus.server.routes import (
    admin,
    cancel,
    control,
    explain,
    intents,
    kv,
    leases,
    meta,
    pauses,
    stats,
    ui,
    workers,
)

ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *intents.ENDPOINTS,
    *leases.ENDPOINTS,
    *kv.ENDPOINTS,
    *admin.ENDPOINTS,
    *cancel.ENDPOINTS,
    *ui.ENDPOINTS,
    *control.ENDPOINTS,
    *pauses.ENDPOINTS,
    *stats.ENDPOINTS,
    *workers.ENDPOINTS,
    *explain.ENDPOINTS,
)
