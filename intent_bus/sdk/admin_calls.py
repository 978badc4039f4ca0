"""The admin API (tenant keys, queue statistics, dead intents) as pure calls.

The same contract as ``calls``: each builder checks its arguments, describes the
request and says how to read the answer and whether it may be repeated; both
clients only send. Every route needs an admin key: a tenant key is answered
403 ``forbidden``, which the parsers raise as ``IntentBusAuthError``.
"""

from __future__ import annotations

from typing import Any

import httpx

from intent_bus import protocol
from intent_bus.sdk import args
from intent_bus.sdk.admin_models import ApiKey, CreatedKey, QueueStats
from intent_bus.sdk.call import Call, Safety
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.models import IntentStatus
from intent_bus.sdk.replies import expect, expect_object, list_field, read_json
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = [
    "create_key",
    "list_dead",
    "list_keys",
    "queue_stats",
    "requeue",
    "revoke_key",
]

# The protocol sets no limit on a key id nor an upper bound on the dead list's
# `limit`: those are the server's to enforce (it answers 400 naming the bound).


# ---------------------------------------------------------------- keys


def create_key(owner: Any) -> Call[CreatedKey]:
    """POST /admin/keys: a new tenant key for `owner`, secret in ``api_key``.

    Not idempotent and carries no idempotency key, so it is repeated only when
    the server certainly did not act: a lost answer would otherwise leave a
    second working key behind whose secret nobody ever saw.
    """
    body = {"owner": args.text("owner", owner, protocol.OWNER_MAX_CHARS)}
    return Call(
        "POST",
        "/admin/keys",
        _parse_key_created,
        retry=Safety.UNPROCESSED,
        body=dumps_bytes(body),
    )


def _parse_key_created(response: httpx.Response, uncertain: bool) -> CreatedKey:
    expect(response, 201)
    return CreatedKey.from_json(expect_object(response, "key creation reply"))


def list_keys() -> Call[list[ApiKey]]:
    """GET /admin/keys: every key's view, oldest first, never a secret."""
    return Call("GET", "/admin/keys", _parse_key_list)


def _parse_key_list(response: httpx.Response, uncertain: bool) -> list[ApiKey]:
    expect(response, 200)
    return [ApiKey.from_json(key) for key in list_field(response, "keys", "key list")]


def revoke_key(key_id: Any) -> Call[ApiKey]:
    """DELETE /admin/keys/<id>: the key's view with ``revoked_at`` set.

    Safe to repeat: the server keeps the first revocation time and answers a
    repeat with the same view, so a retry after a lost answer changes nothing.
    """
    return Call(
        "DELETE",
        f"/admin/keys/{args.segment(args.text('key_id', key_id, None))}",
        _parse_key,
    )


def _parse_key(response: httpx.Response, uncertain: bool) -> ApiKey:
    expect(response, 200)
    return ApiKey.from_json(expect_object(response, "key"))


# ---------------------------------------------------------------- queue


def queue_stats() -> Call[QueueStats]:
    """GET /admin/stats: ``by_status``, ``by_namespace`` and
    ``oldest_open_created_at`` over every tenant's intents."""
    return Call("GET", "/admin/stats", _parse_stats)


def _parse_stats(response: httpx.Response, uncertain: bool) -> QueueStats:
    expect(response, 200)
    return QueueStats.from_json(expect_object(response, "queue stats"))


def list_dead(
    owner: Any = None, namespace: Any = None, limit: Any = 100
) -> Call[list[IntentStatus]]:
    """GET /admin/dead: dead intents of every tenant (or of `owner`, in
    `namespace`), most recently dead first; each carries ``extra["owner"]``."""
    params = [("limit", str(args.integer("limit", limit, 1)))]
    if owner is not None:
        params.append(("owner", args.text("owner", owner, protocol.OWNER_MAX_CHARS)))
    if namespace is not None:
        params.append(
            (
                "namespace",
                args.text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS),
            )
        )
    return Call("GET", "/admin/dead", _parse_dead_list, params=tuple(params))


def _parse_dead_list(response: httpx.Response, uncertain: bool) -> list[IntentStatus]:
    expect(response, 200)
    return [
        IntentStatus.from_json(item)
        for item in list_field(response, "intents", "dead-intent list")
    ]


def requeue(intent_id: Any) -> Call[IntentStatus]:
    """POST /admin/dead/<id>/requeue: the intent reopened with fresh attempts.

    Repeated like a read: a second requeue of the same intent finds it no
    longer dead and changes nothing (404), so a retry after a lost answer does
    not hand out a second set of attempts (unless the intent died again within
    the retry window, which only restarts what the caller asked to restart).
    When an earlier attempt's answer was lost, that 404 may mean the first one
    worked; the error then says so.
    """
    return Call(
        "POST",
        f"/admin/dead/{args.segment(args.intent_id(intent_id))}/requeue",
        _parse_requeued,
    )


def _parse_requeued(response: httpx.Response, uncertain: bool) -> IntentStatus:
    if response.status_code == 404 and uncertain:
        raise IntentBusError(
            "intent is not dead; an earlier attempt whose answer was lost may "
            "have requeued it (check get_status)",
            code="not_found",
            status_code=404,
        )
    expect(response, 200)
    return IntentStatus.from_json(read_json(response))
