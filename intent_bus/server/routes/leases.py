"""The worker side: claiming (with long-poll), fulfilling, failing, extending."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from intent_bus import protocol
from intent_bus.server import policy
from intent_bus.server.bodies import encode_value
from intent_bus.server.endpoint import Call, Endpoint, QueryParam
from intent_bus.server.errors import invalid_request, retry_after
from intent_bus.server.reply import Reply, json_reply
from intent_bus.server.schemas import (
    ClaimResponse,
    ErrorBody,
    ExtendRequest,
    ExtendResponse,
    FailRequest,
    FailResponse,
    FulfillRequest,
    FulfillResponse,
)
from intent_bus.server.views import claim_view
from intent_bus.server.wakeup import wait_for_work
from intent_bus.storage.base import ClaimQuery, Lease

WAIT_RECHECK_SECONDS = 5.0
"""A waiting claimer re-checks at least this often, as a safety net for wake-ups
that never arrive (e.g. a notification lost between replicas). Every source of
new work already wakes waiters (publish, reopening fail, requeue, lease reaping,
NOTIFY from other replicas, and the next delayed intent's due time), so this is
kept long: each idle long-poller costs two store queries per re-check."""

_WORKER_ID = protocol.HEADER_WORKER_ID.lower().encode()
_CAPABILITIES = protocol.HEADER_WORKER_CAPABILITIES.lower().encode()


def parse_capabilities(header: str | None) -> tuple[str, ...]:
    """Comma-separated, trimmed, empty items dropped; matched exactly later."""
    if not header:
        return ()
    return tuple(item for item in (part.strip() for part in header.split(",")) if item)


def parse_wait(text: str | None) -> float:
    """Seconds to hold a claim open; 0 (no wait) when absent."""
    if text is None:
        return 0.0
    try:
        wait = float(text)
    except ValueError:
        wait = math.nan
    if not 0 < wait <= protocol.MAX_WAIT_SECONDS:
        raise invalid_request(
            f"wait: must be a number > 0 and <= {protocol.MAX_WAIT_SECONDS:g}"
        )
    return wait


def _text_param(call: Call, name: str, limit: int) -> str | None:
    value = call.query.get(name)
    if value is None:
        return None
    if not 0 < len(value) <= limit:
        raise invalid_request(f"{name}: must be 1..{limit} characters")
    return value


def claim_query(call: Call) -> ClaimQuery:
    worker_id = call.header(_WORKER_ID) or None
    if worker_id is not None and len(worker_id) > protocol.WORKER_ID_MAX_CHARS:
        raise invalid_request(
            f"X-Worker-ID: at most {protocol.WORKER_ID_MAX_CHARS} characters"
        )
    namespace = _text_param(call, "namespace", protocol.NAMESPACE_MAX_CHARS)
    return ClaimQuery(
        owner=call.caller.owner,
        namespace=namespace or protocol.DEFAULT_NAMESPACE,
        goal=_text_param(call, "goal", protocol.GOAL_MAX_CHARS),
        publisher=_text_param(call, "publisher", 128),
        worker_id=worker_id,
        capabilities=parse_capabilities(call.header(_CAPABILITIES)),
    )


async def claim(call: Call, _: None) -> Reply:
    """Leases the best eligible intent; with `wait`, holds the request until
    one is published or the wait ends. 204 + Retry-After when there is none."""
    services = call.services
    settings = services.settings
    query = claim_query(call)
    deadline = time.monotonic() + parse_wait(call.query.get("wait"))
    disconnect: asyncio.Future[Any] | None = None
    try:
        while True:
            # Take the ticket before looking, so a publish that lands after the
            # look but before the wait still wakes us.
            ticket = services.hub.ticket()
            now = time.time()
            lease = Lease(
                claim_token=policy.claim_token(),
                expires_at=policy.lease_expiry(now, settings.claim_timeout),
                worker_id=query.worker_id,
            )
            intent = await services.store.intent_claim(query, lease, now)
            if intent is not None:
                return json_reply(200, claim_view(intent, settings.claim_timeout))
            next_due = await services.store.intent_next_due(query, now)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                hint = policy.empty_claim_retry_after(
                    now, next_due, settings.poll_interval
                )
                return Reply(204, b"", retry_after(hint))
            timeout = min(remaining, WAIT_RECHECK_SECONDS)
            if next_due is not None:
                timeout = min(timeout, max(next_due - now, 0.0) + 0.005)
            if disconnect is None:
                disconnect = asyncio.ensure_future(call.receive())
            if not await wait_for_work(ticket, timeout, disconnect):
                return Reply(204)  # the client is gone; claim nothing for it
    finally:
        if disconnect is not None:
            disconnect.cancel()


def _intent_id(call: Call) -> str:
    intent_id: str = call.params["intent_id"]
    return intent_id


async def fulfill(call: Call, body: FulfillRequest) -> Reply:
    if body.result_type == "text" and not isinstance(body.result, str):
        raise invalid_request("result: must be a string when result_type is text")
    result = encode_value(body.result)
    intent = await call.services.store.intent_fulfill(
        _intent_id(call), body.claim_token, result, body.result_type, call.now
    )
    completed_at = intent.completed_at if intent.completed_at is not None else call.now
    return json_reply(
        200,
        FulfillResponse(id=intent.id, status="fulfilled", completed_at=completed_at),
    )


async def fail(call: Call, body: FailRequest) -> Reply:
    """Reopens the intent after a jittered backoff, or kills it when its
    attempts are spent."""
    services = call.services

    def retry_delay(attempts: int, base: float) -> float:
        return policy.backoff_delay(attempts, base, services.random)

    intent = await services.store.intent_fail(
        _intent_id(call),
        body.claim_token,
        policy.truncate_error(body.error),
        retry_delay,
        call.now,
    )
    if intent.status == protocol.STATUS_OPEN:
        services.hub.notify()
    return json_reply(
        200,
        FailResponse(
            id=intent.id,
            status="dead" if intent.status == protocol.STATUS_DEAD else "open",
            run_at=intent.run_at,
            claim_attempts=intent.claim_attempts,
            max_attempts=intent.max_attempts,
        ),
    )


async def extend_claim(call: Call, body: ExtendRequest) -> Reply:
    settings = call.services.settings
    seconds = policy.lease_seconds(
        body.seconds, settings.claim_timeout, settings.max_lease_seconds
    )
    intent = await call.services.store.intent_extend(
        _intent_id(call),
        body.claim_token,
        policy.lease_expiry(call.now, seconds),
        call.now,
    )
    expires_at = intent.lease_expires_at or policy.lease_expiry(call.now, seconds)
    return json_reply(
        200,
        ExtendResponse(
            id=intent.id, lease_expires_at=expires_at, claim_timeout=seconds
        ),
    )


_TEXT = {"type": "string"}
_LEASE_ERRORS = {404: ErrorBody}

ENDPOINTS = (
    Endpoint(
        "POST",
        "/claim",
        claim,
        "Lease the best eligible intent (204 + Retry-After when none)",
        responses={200: ClaimResponse, 204: None},
        query=(
            QueryParam("namespace", "Namespace to claim from", _TEXT),
            QueryParam("goal", "Only intents with this goal", _TEXT),
            QueryParam("publisher", "Only intents of this tenant (owner)", _TEXT),
            QueryParam(
                "wait",
                "Long-poll: hold up to this many seconds for work",
                {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
            ),
        ),
        headers=(
            QueryParam(protocol.HEADER_WORKER_ID, "The worker's id", _TEXT),
            QueryParam(
                protocol.HEADER_WORKER_CAPABILITIES,
                "Comma-separated capabilities",
                _TEXT,
            ),
        ),
    ),
    Endpoint(
        "POST",
        "/fulfill/{intent_id}",
        fulfill,
        "Complete a leased intent with its result",
        body=FulfillRequest,
        responses={200: FulfillResponse, **_LEASE_ERRORS},
    ),
    Endpoint(
        "POST",
        "/fail/{intent_id}",
        fail,
        "Report failure: retry after backoff, or dead when attempts are spent",
        body=FailRequest,
        responses={200: FailResponse, **_LEASE_ERRORS},
    ),
    Endpoint(
        "POST",
        "/extend_claim/{intent_id}",
        extend_claim,
        "Extend a live lease",
        body=ExtendRequest,
        responses={200: ExtendResponse, **_LEASE_ERRORS},
    ),
)
