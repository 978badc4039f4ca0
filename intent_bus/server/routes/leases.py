"""Leases, the worker side: claim (with long-poll), fulfill, fail, extend_claim."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from intent_bus import protocol
from intent_bus.server import policy
from intent_bus.server.errors import invalid_request, retry_after
from intent_bus.server.http.bodies import encode_value
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Receive, Reply, json_reply
from intent_bus.server.schemas import (
    ClaimParams,
    ClaimResponse,
    ErrorBody,
    ExtendRequest,
    ExtendResponse,
    FailRequest,
    FailResponse,
    FulfillRequest,
    FulfillResponse,
    WorkerHeaders,
)
from intent_bus.server.services import Services
from intent_bus.server.views import claim_view, extend_view, fail_view, fulfill_view
from intent_bus.server.wakeup import wait_for_work
from intent_bus.storage.base import ClaimQuery, Lease

WAIT_RECHECK_SECONDS = 5.0
"""A waiting claimer re-checks at least this often, as a safety net for wake-ups
that never arrive (e.g. a notification lost between replicas). Every source of
new work already wakes waiters (publish, reopening fail, requeue, lease reaping,
NOTIFY from other replicas, and the next delayed intent's due time), so this is
kept long: each idle long-poller costs two store queries per re-check."""


def parse_capabilities(header: str | None) -> tuple[str, ...]:
    """Comma-separated, trimmed, empty items dropped; matched exactly later."""
    if not header:
        return ()
    return tuple(item for item in (part.strip() for part in header.split(",")) if item)


def claim_query(call: Call) -> ClaimQuery:
    params: ClaimParams = call.query
    headers: WorkerHeaders = call.headers
    return ClaimQuery(
        owner=call.caller.owner,
        namespace=params.namespace,
        goal=params.goal,
        publisher=params.publisher,
        worker_id=headers.worker_id or None,
        capabilities=parse_capabilities(headers.capabilities),
    )


async def claim(call: Call, _: None) -> Reply:
    """Leases the best eligible intent; with `wait`, holds the request until
    one is published or the wait ends. 204 + Retry-After when there is none."""
    params: ClaimParams = call.query
    wait = params.wait or 0.0
    return await claim_until(call.services, claim_query(call), wait, call.receive)


async def claim_until(
    services: Services, query: ClaimQuery, wait: float, receive: Receive
) -> Reply:
    """The claim loop: look, and while the wait lasts, sleep until woken."""
    settings = services.settings
    deadline = time.monotonic() + wait
    disconnect: asyncio.Future[Any] | None = None
    try:
        while True:
            # Take the ticket before looking, so a publish that lands after the
            # look but before the wait still wakes us.
            ticket = services.hub.ticket()
            now = time.time()
            polled = await services.store.intent_poll(
                query, _lease(services, query, now), now
            )
            if polled.intent is not None:
                return json_reply(
                    200, claim_view(polled.intent, settings.claim_timeout)
                )
            next_due = polled.next_due
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
                disconnect = asyncio.ensure_future(receive())
            if not await wait_for_work(ticket, timeout, disconnect):
                return Reply(204)  # the client is gone; claim nothing for it
    finally:
        if disconnect is not None:
            disconnect.cancel()


def _lease(services: Services, query: ClaimQuery, now: float) -> Lease:
    return Lease(
        claim_token=policy.claim_token(),
        expires_at=policy.lease_expiry(now, services.settings.claim_timeout),
        worker_id=query.worker_id,
    )


def _intent_id(call: Call) -> str:
    intent_id: str = call.params["intent_id"]
    return intent_id


async def fulfill(call: Call, body: FulfillRequest) -> Reply:
    if body.result_type == protocol.RESULT_TYPE_TEXT and not isinstance(
        body.result, str
    ):
        raise invalid_request("result: must be a string when result_type is text")
    result = encode_value(body.result)
    intent = await call.services.store.intent_fulfill(
        _intent_id(call),
        body.claim_token,
        result,
        body.result_type,
        call.now,
        owner=call.caller.owner,
    )
    return json_reply(200, fulfill_view(intent, call.now))


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
        owner=call.caller.owner,
    )
    if intent.status == protocol.STATUS_OPEN:
        services.hub.notify()
    return json_reply(200, fail_view(intent))


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
        owner=call.caller.owner,
    )
    return json_reply(200, extend_view(intent, call.now, seconds))


_LEASE_ERRORS = {404: ErrorBody}

ENDPOINTS = (
    Endpoint(
        "POST",
        "/claim",
        claim,
        "Lease the best eligible intent (204 + Retry-After when none)",
        responses={200: ClaimResponse, 204: None},
        query=ClaimParams,
        headers=WorkerHeaders,
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
