"""The tenant's key-value store: small JSON values with a TTL."""

from __future__ import annotations

from msgspec import Raw

from intent_bus import protocol
from intent_bus.server.errors import invalid_request, not_found
from intent_bus.server.http.bodies import encode_value
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import (
    ErrorBody,
    KvGetResponse,
    KvSetRequest,
    KvSetResponse,
)


def _kv_key(call: Call) -> str:
    key: str = call.params["key"]
    if not 0 < len(key) <= protocol.KV_KEY_MAX_CHARS:
        raise invalid_request(f"key: must be 1..{protocol.KV_KEY_MAX_CHARS} characters")
    return key


async def kv_set(call: Call, body: KvSetRequest) -> Reply:
    """Stores the value as received; a TTL over the maximum is lowered to it."""
    key = _kv_key(call)
    ttl = min(body.ttl, call.services.settings.kv_max_ttl)
    expires_at = call.now + ttl
    await call.services.store.kv_set(
        call.caller.owner, key, encode_value(body.value), expires_at, call.now
    )
    return json_reply(200, KvSetResponse(ok=True, key=key, expires_at=expires_at))


async def kv_get(call: Call, _: None) -> Reply:
    value = await call.services.store.kv_get(call.caller.owner, _kv_key(call), call.now)
    if value is None:
        raise not_found("key not found or expired")
    return json_reply(200, KvGetResponse(value=Raw(value)))


ENDPOINTS = (
    Endpoint(
        "POST",
        "/set/{key:path}",
        kv_set,
        "Store a JSON value under a key of the caller's tenant",
        body=KvSetRequest,
        responses={200: KvSetResponse},
    ),
    Endpoint(
        "GET",
        "/get/{key:path}",
        kv_get,
        "Read a live value of the caller's tenant",
        responses={200: KvGetResponse, 404: ErrorBody},
    ),
)
