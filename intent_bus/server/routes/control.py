"""The control API's writes on one intent: cancel and requeue, by the
publishing tenant or an admin (issue 9)."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import CancelView, ErrorBody, StatusView
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
)
