"""The API's endpoints, one module per group; `ENDPOINTS` is the route table."""

from __future__ import annotations

from intent_bus.server.http.endpoint import Endpoint
from intent_bus.server.routes import (
    admin,
    batches,
    control,
    docs,
    explain,
    intents,
    kv,
    leases,
    limits,
    meta,
    pauses,
    schedules,
    search,
    stats,
    ui,
    workers,
)

ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *intents.ENDPOINTS,
    *leases.ENDPOINTS,
    *batches.ENDPOINTS,
    *kv.ENDPOINTS,
    *admin.ENDPOINTS,
    *control.ENDPOINTS,
    *schedules.ENDPOINTS,
    *ui.ENDPOINTS,
    *docs.ENDPOINTS,
    *search.ENDPOINTS,
    *pauses.ENDPOINTS,
    *limits.ENDPOINTS,
    *stats.ENDPOINTS,
    *workers.ENDPOINTS,
    *explain.ENDPOINTS,
)
