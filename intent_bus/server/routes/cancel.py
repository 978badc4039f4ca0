"""The control API's writes on one intent (cancel, requeue) and the timeline
they leave, for the publishing tenant or an admin (issue 9). (The reads of
intents are in ``control``.)"""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.errors import not_found
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import (
    CancelView,
    ErrorBody,
    EventList,
    EventView,
    StatusView,
)
from intent_bus.server.views import cancel_view, status_view


def scope(call: Call) -> str | None:
    """Whose intents the caller may act on: its tenant's, or (admin) anyone's."""
    key = call.caller
    return None if key.role == protocol.ROLE_ADMIN else key.owner


async def cancel(call: Call, _: None) -> Reply:
    """An open intent is cancelled at once; a claimed one is asked to stop."""
    intent = await call.services.store.intent_cancel(
        call.params["intent_id"], scope(call), call.now
    )
    return json_reply(200, cancel_view(intent))


async def requeue(call: Call, _: None) -> Reply:
    """Reopens a dead or cancelled intent with fresh attempts; wakes workers."""
    intent = await call.services.store.intent_reopen(
        call.params["intent_id"], scope(call), call.now
    )
    call.services.hub.notify()
    return json_reply(200, status_view(intent))


async def events(call: Call, _: None) -> Reply:
    """The intent's timeline, oldest first."""
    intent_id: str = call.params["intent_id"]
    found = await call.services.store.intent_events(intent_id, scope(call))
    if found is None:
        raise not_found("intent not found")
    views = [
        EventView(
            type=event.type,  # type: ignore[arg-type]  # the triggers write EVENT_TYPES
            at=event.at,
            worker=event.worker,
            attempt=event.attempt,
            error=event.error,
            detail=event.detail,
        )
        for event in found
    ]
    return json_reply(200, EventList(id=intent_id, events=views))


_REFUSED = {404: ErrorBody, 409: ErrorBody}

ENDPOINTS = (
    Endpoint(
        "POST",
        "/cancel/{intent_id}",
        cancel,
        "Cancel an intent: open ends cancelled, claimed is asked to stop",
        responses={200: CancelView, **_REFUSED},
    ),
    Endpoint(
        "POST",
        "/requeue/{intent_id}",
        requeue,
        "Reopen a dead or cancelled intent with fresh attempts",
        responses={200: StatusView, **_REFUSED},
    ),
    Endpoint(
        "GET",
        "/intents/{intent_id}/events",
        events,
        "The intent's timeline, oldest first",
        responses={200: EventList, 404: ErrorBody},
    ),
)
