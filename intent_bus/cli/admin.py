"""The admin API (keys, dead letters) as SDK calls, for the admin commands.

The SDK has no admin methods, so the requests are described here with the
SDK's own `Call` and sent through the client's signing, retrying transport:
same auth, same error mapping, nothing re-implemented.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from intent_bus.sdk import calls
from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.exceptions import IntentBusProtocolError
from intent_bus.sdk.retry import Safety
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = ["create_key", "list_dead", "list_keys", "requeue_dead", "revoke_key"]


def _reader(*statuses: int) -> calls.Parse[dict[str, Any]]:
    def parse(response: httpx.Response, uncertain: bool) -> dict[str, Any]:
        if response.status_code not in statuses:
            raise calls.error_from(response)
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise IntentBusProtocolError(
                f"server sent a non-object reply with HTTP {response.status_code}",
                status_code=response.status_code,
            )
        return data

    return parse


def _send(client: IntentClient, call: calls.Call[dict[str, Any]]) -> dict[str, Any]:
    return client._send(call)


def create_key(client: IntentClient, owner: str) -> dict[str, Any]:
    """POST /admin/keys: a new tenant key (the secret is in ``api_key``)."""
    body = dumps_bytes({"owner": owner})
    # Not retried: a lost answer would leave a second, unknown key behind.
    call = calls.Call(
        "POST", "/admin/keys", _reader(201), retry=Safety.UNPROCESSED, body=body
    )
    return _send(client, call)


def list_keys(client: IntentClient) -> list[dict[str, Any]]:
    keys = _send(client, calls.Call("GET", "/admin/keys", _reader(200))).get("keys")
    if not isinstance(keys, list):
        raise IntentBusProtocolError("server sent an invalid key list")
    return keys


def revoke_key(client: IntentClient, key_id: str) -> dict[str, Any]:
    path = f"/admin/keys/{quote(key_id, safe='')}"
    return _send(client, calls.Call("DELETE", path, _reader(200)))


def list_dead(
    client: IntentClient,
    owner: str | None = None,
    namespace: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    params = [("limit", str(limit))]
    if owner is not None:
        params.append(("owner", owner))
    if namespace is not None:
        params.append(("namespace", namespace))
    call = calls.Call("GET", "/admin/dead", _reader(200), params=tuple(params))
    intents = _send(client, call).get("intents")
    if not isinstance(intents, list):
        raise IntentBusProtocolError("server sent an invalid dead-letter list")
    return intents


def requeue_dead(client: IntentClient, intent_id: str) -> dict[str, Any]:
    path = f"/admin/dead/{quote(intent_id, safe='')}/requeue"
    # Not retried after it may have arrived: a repeat would answer 404.
    call = calls.Call("POST", path, _reader(200), retry=Safety.UNPROCESSED)
    return _send(client, call)
