"""The admin API: tenant keys, queue statistics, the dead-letter queue."""

from __future__ import annotations

import secrets

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import ApiError, invalid_request, not_found
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import (
    DeadList,
    DeadListParams,
    ErrorBody,
    KeyCreated,
    KeyCreateRequest,
    KeyList,
    KeyView,
    StatsResponse,
    StatusView,
)
from intent_bus.server.views import dead_view, key_view, status_view
from intent_bus.storage.base import ApiKey, work_of


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


async def key_create(call: Call, body: KeyCreateRequest) -> Reply:
    """Issues a tenant key; its secret is shown in this response only. The
    admin's owner name is reserved, so no tenant can read the admin's data."""
    if body.owner == protocol.ADMIN_OWNER:
        raise invalid_request(
            f"owner: {protocol.ADMIN_OWNER!r} is reserved for admin keys"
        )
    key = ApiKey(
        id=new_key_id(),
        secret=protocol.TENANT_KEY_PREFIX + secrets.token_urlsafe(24),
        owner=body.owner,
        role=protocol.ROLE_TENANT,
        created_at=call.now,
    )
    await call.services.store.key_create(key)
    return json_reply(
        201,
        KeyCreated(
            api_key=key.secret,
            id=key.id,
            owner=key.owner,
            role=key.role,
            created_at=key.created_at,
        ),
    )


async def key_list(call: Call, _: None) -> Reply:
    keys = await call.services.store.key_list()
    return json_reply(200, KeyList(keys=[key_view(key) for key in keys]))


async def key_revoke(call: Call, _: None) -> Reply:
    """Revokes a tenant key at once in this process (other replicas follow
    within the key cache's lifetime). Admin keys come from configuration."""
    key_id: str = call.params["key_id"]
    keys = await call.services.store.key_list()
    target = next((key for key in keys if key.id == key_id), None)
    if target is None:
        raise not_found("key not found")
    if target.role == protocol.ROLE_ADMIN:
        raise ApiError(
            403, ErrorCode.FORBIDDEN, "admin keys are set by server configuration"
        )
    revoked = await call.services.store.key_revoke(key_id, call.now)
    call.services.auth.cache.invalidate(key_id)
    return json_reply(200, key_view(revoked))


async def stats(call: Call, _: None) -> Reply:
    queue = await call.services.store.intent_stats(call.now)
    return json_reply(
        200,
        StatsResponse(
            by_status=queue.by_status,
            by_namespace=queue.by_namespace,
            oldest_open_created_at=queue.oldest_open_created_at,
        ),
    )


async def dead_list(call: Call, _: None) -> Reply:
    query: DeadListParams = call.query
    intents = await call.services.store.intent_list_dead(
        query.owner or None, query.namespace or None, query.limit
    )
    return json_reply(200, DeadList(intents=[dead_view(i) for i in intents]))


async def dead_requeue(call: Call, _: None) -> Reply:
    """Reopens a dead intent with fresh attempts and wakes waiting workers."""
    intent = await call.services.store.intent_requeue(
        call.params["intent_id"], call.now
    )
    call.services.hub.wake(work_of(intent))
    return json_reply(200, status_view(intent))


_FORBIDDEN = {403: ErrorBody}

ENDPOINTS = (
    Endpoint(
        "POST",
        "/admin/keys",
        key_create,
        "Create a tenant key",
        access="admin",
        body=KeyCreateRequest,
        responses={201: KeyCreated, **_FORBIDDEN},
    ),
    Endpoint(
        "GET",
        "/admin/keys",
        key_list,
        "List keys (never their secrets)",
        access="admin",
        responses={200: KeyList, **_FORBIDDEN},
    ),
    Endpoint(
        "DELETE",
        "/admin/keys/{key_id}",
        key_revoke,
        "Revoke a tenant key",
        access="admin",
        responses={200: KeyView, 404: ErrorBody, **_FORBIDDEN},
    ),
    Endpoint(
        "GET",
        "/admin/stats",
        stats,
        "Intent counts by status and namespace",
        access="admin",
        responses={200: StatsResponse, **_FORBIDDEN},
    ),
    Endpoint(
        "GET",
        "/admin/dead",
        dead_list,
        "Dead intents, most recently completed first",
        access="admin",
        query=DeadListParams,
        responses={200: DeadList, **_FORBIDDEN},
    ),
    Endpoint(
        "POST",
        "/admin/dead/{intent_id}/requeue",
        dead_requeue,
        "Reopen a dead intent with fresh attempts",
        access="admin",
        responses={200: StatusView, 404: ErrorBody, **_FORBIDDEN},
    ),
)
