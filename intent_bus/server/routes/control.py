"""The control API's writes (cancel, requeue, one by one or in bulk by a
filter) and the timeline they leave, for the publishing tenant or an admin
(issue 9)."""

from __future__ import annotations

import asyncio
from typing import Final, Literal

from intent_bus import protocol
from intent_bus.server.errors import invalid_request, not_found
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import (
    BulkCancelled,
    BulkCancelRequest,
    BulkRequeued,
    BulkRequeueRequest,
    CancelView,
    ErrorBody,
    EventList,
    EventView,
    StatusView,
)
from intent_bus.server.views import cancel_view, status_view
from intent_bus.storage.base import BulkFilter

BULK_BATCH: Final = 500
"""Intents a bulk action changes per transaction; other requests run between."""


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


def bulk_filter(
    call: Call, body: BulkCancelRequest, status: Literal["open", "dead"]
) -> BulkFilter:
    """The filter of a bulk body, scoped to the caller's tenant (an admin may
    name an owner; a tenant may not)."""
    owner = scope(call)
    if body.owner is not None:
        if owner is not None:
            raise invalid_request("owner: only an admin key may name an owner")
        owner = body.owner
    error = body.error_contains if isinstance(body, BulkRequeueRequest) else None
    return BulkFilter(status, owner, body.goal, body.namespace, error)


async def bulk(
    call: Call,
    action: Literal["requeue", "cancel"],
    match: BulkFilter,
    dry_run: bool,
) -> tuple[int, int]:
    """(matched, changed): counts, then works in batches until one is short."""
    store = call.services.store
    matched = await store.intent_bulk_count(match)
    changed = 0
    while not dry_run and matched:
        done = await store.intent_bulk_step(action, match, call.now, BULK_BATCH)
        changed += done
        if done < BULK_BATCH:
            break
        await asyncio.sleep(0)  # let other requests in between batches
    return matched, changed


async def bulk_requeue(call: Call, body: BulkRequeueRequest) -> Reply:
    """Requeues the dead intents the filter matches."""
    match = bulk_filter(call, body, protocol.STATUS_DEAD)
    matched, changed = await bulk(call, "requeue", match, body.dry_run)
    if changed:
        call.services.hub.notify()
    return json_reply(200, BulkRequeued(matched=matched, requeued=changed))


async def bulk_cancel(call: Call, body: BulkCancelRequest) -> Reply:
    """Cancels the open intents the filter matches."""
    match = bulk_filter(call, body, protocol.STATUS_OPEN)
    matched, changed = await bulk(call, "cancel", match, body.dry_run)
    return json_reply(200, BulkCancelled(matched=matched, cancelled=changed))


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
        "POST",
        "/intents/requeue",
        bulk_requeue,
        "Requeue the dead intents a filter matches (dry_run only counts)",
        body=BulkRequeueRequest,
        responses={200: BulkRequeued, 400: ErrorBody},
    ),
    Endpoint(
        "POST",
        "/intents/cancel",
        bulk_cancel,
        "Cancel the open intents a filter matches (dry_run only counts)",
        body=BulkCancelRequest,
        responses={200: BulkCancelled, 400: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/intents/{intent_id}/events",
        events,
        "The intent's timeline, oldest first",
        responses={200: EventList, 404: ErrorBody},
    ),
)
