"""Concurrency limits: at most N of a tenant's intents of one namespace and
goal claimed at once, across every replica (the claim enforces it; see
storage/limits.py). Addressed like pauses: by namespace and goal, of the
caller's tenant, or of the owner an admin names."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.errors import not_found
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_limits import (
    LimitDeleted,
    LimitList,
    LimitListParams,
    LimitParams,
    LimitRequest,
    LimitView,
)
from intent_bus.server.tenancy import owner_forbidden, owner_scope
from intent_bus.storage.errors import NotFound
from intent_bus.storage.limits import ConcurrencyLimit


def _owner(call: Call, named: str | None) -> str:
    """A tenant acts on its own limits; an admin on the owner it names (its
    own when it names none)."""
    if named is not None and call.caller.role != protocol.ROLE_ADMIN:
        raise owner_forbidden()
    return named or call.caller.owner


def limit_view(limit: ConcurrencyLimit) -> LimitView:
    return LimitView(
        namespace=limit.namespace,
        goal=limit.goal,
        owner=limit.owner,
        max_running=limit.max_running,
        max_per_key=limit.max_per_key,
        running=limit.running,
        updated_at=limit.updated_at,
    )


async def limit_put(call: Call, body: LimitRequest) -> Reply:
    """Sets the limit; a raised one may let waiting intents run, so wake."""
    limit = await call.services.store.limit_set(
        _owner(call, body.owner),
        body.namespace,
        body.goal,
        body.max_running,
        body.max_per_key,
        call.now,
    )
    call.services.hub.wake_all()
    return json_reply(200, limit_view(limit))


async def limit_delete(call: Call, _: None) -> Reply:
    """Deletes the limit (404 if there is none) and wakes waiting workers."""
    query: LimitParams = call.query
    try:
        await call.services.store.limit_clear(
            _owner(call, query.owner), query.namespace, query.goal
        )
    except NotFound:
        raise not_found("limit not found") from None
    call.services.hub.wake_all()
    return json_reply(200, LimitDeleted(deleted=True))


async def limit_list(call: Call, _: None) -> Reply:
    query: LimitListParams = call.query
    limits = await call.services.store.limit_list(owner_scope(call, query.owner))
    return json_reply(200, LimitList(limits=[limit_view(lim) for lim in limits]))


ENDPOINTS = (
    Endpoint(
        "PUT",
        "/limits",
        limit_put,
        "Set the concurrency limit of a namespace and goal (idempotent)",
        body=LimitRequest,
        responses={200: LimitView, 400: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/limits",
        limit_list,
        "Concurrency limits with their running counts (a tenant sees its own)",
        query=LimitListParams,
        responses={200: LimitList, 400: ErrorBody},
    ),
    Endpoint(
        "DELETE",
        "/limits",
        limit_delete,
        "Delete a concurrency limit and wake waiting workers",
        query=LimitParams,
        responses={200: LimitDeleted, 400: ErrorBody, 404: ErrorBody},
    ),
)
