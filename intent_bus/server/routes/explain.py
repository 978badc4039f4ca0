"""GET /explain/{id}: why an intent is or is not running (server/explain.py)."""

from __future__ import annotations

from intent_bus.server.explain import explain_intent
from intent_bus.server.explain_claim import explain_claim_query
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.routes.intents import visible_intent
from intent_bus.server.routes.leases import claim_query
from intent_bus.server.schemas import ClaimParams, ErrorBody, WorkerHeaders
from intent_bus.server.schemas_control import (
    ClaimExplainView,
    ClaimGroup,
    ExplainReason,
    ExplainView,
    ScheduleOrigin,
)


async def explain(call: Call, _: None) -> Reply:
    intent = await visible_intent(call)
    store = call.services.store
    claimable_now, reasons = await explain_intent(store, intent, call.now)
    tick = await store.schedule_tick_of(intent.id)
    view = ExplainView(
        id=intent.id,
        status=intent.status,
        claimable_now=claimable_now,
        reasons=[ExplainReason(**reason) for reason in reasons],
        schedule=None
        if tick is None
        else ScheduleOrigin(name=tick.name, scheduled_for=tick.scheduled_for),
    )
    return json_reply(200, view)


async def explain_claim(call: Call, _: None) -> Reply:
    """Never claims: the same query and worker headers as POST /claim."""
    claimable, groups = await explain_claim_query(
        call.services.store, claim_query(call), call.now
    )
    view = ClaimExplainView(
        claimable=claimable, groups=[ClaimGroup(**group) for group in groups]
    )
    return json_reply(200, view)


ENDPOINTS = (
    # Before /explain/{intent_id}: the literal segment wins.
    Endpoint(
        "GET",
        "/explain/claim",
        explain_claim,
        "Why a worker's claim gets nothing (never claims)",
        query=ClaimParams,
        headers=WorkerHeaders,
        responses={200: ClaimExplainView, 400: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/explain/{intent_id}",
        explain,
        "Why an intent is or is not running, with stable reason codes",
        responses={200: ExplainView, 404: ErrorBody},
    ),
)
