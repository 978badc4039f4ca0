"""Leases, the worker side: claim (with long-poll), fulfill, fail, extend_claim."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, overload

from intent_bus import protocol
from intent_bus.server import policy
from intent_bus.server.errors import invalid_request, payload_too_large, retry_after
from intent_bus.server.http.bodies import encode_value
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Receive, Reply, json_reply
from intent_bus.server.schemas import (
    ClaimParams,
    ClaimResponse,
    ErrorBody,
    FailRequest,
    FailResponse,
    FulfillRequest,
    FulfillResponse,
    WorkerHeaders,
)
from intent_bus.server.schemas_batch import ClaimManyParams, ClaimManyResponse
from intent_bus.server.schemas_leases import ExtendRequest, ExtendResponse
from intent_bus.server.services import Services
from intent_bus.server.views import claim_view, extend_view, fail_view, fulfill_view
from intent_bus.server.wakeup import wait_for_wake
from intent_bus.server.workers import note_claim, note_extension
from intent_bus.storage.base import ClaimQuery, Lease, ProgressReport, work_of


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
    params: ClaimManyParams = call.query
    wait = params.wait or 0.0
    query = claim_query(call)
    services = call.services
    await note_claim(services.store, services.sightings, query, call.headers, call.now)
    return await claim_until(services, query, wait, call.receive, params.max)


async def claim_until(
    services: Services,
    query: ClaimQuery,
    wait: float,
    receive: Receive,
    count: int | None = None,
) -> Reply:
    """The claim loop: look, and while the wait lasts, sleep until woken.

    A claimer looks when it arrives, after each wake-up, and when the next
    delayed intent it could take falls due; never on a timer, so an idle
    long-poll costs one store call per request. A wait that ends unwoken answers
    204 without looking again: nothing it could take was announced, and the
    client's next claim looks anyway, which also bounds a lost wake-up (e.g. a
    notification dropped between replicas) to one wait.

    With a `count` (POST /claim?max=N) each look leases up to that many in
    one transaction and the answer is their list, as soon as there is one.
    """
    hub = services.hub
    deadline = time.monotonic() + wait
    disconnect: asyncio.Future[Any] | None = None
    # Join before looking, so a wake that lands after the look but before the
    # wait is still ours.
    waiter = hub.join(query) if wait > 0 else None
    try:
        while True:
            now = time.time()
            found, next_due = await _look(services, query, count, now)
            services.metrics.claim_looks += 1
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if waiter is None or remaining <= 0:
                return _empty(services, now, next_due)
            timeout, until_due = remaining, False
            if next_due is not None:
                due_in = max(next_due - now, 0.0) + 0.005
                timeout, until_due = min(due_in, remaining), due_in < remaining
            if disconnect is None:
                disconnect = asyncio.ensure_future(receive())
            if not await wait_for_wake(waiter, timeout, disconnect):
                return Reply(204)  # the client is gone; claim nothing for it
            if not waiter.woken and not until_due:
                return _empty(services, time.time(), next_due)
            # The next look acts on this wake; a fresh registration catches
            # the ones that land during it.
            hub.leave(waiter, looked=True)
            waiter = hub.join(query)
    finally:
        if disconnect is not None:
            disconnect.cancel()
        if waiter is not None:
            hub.leave(waiter)  # passes on a wake it will not act on


async def _look(
    services: Services, query: ClaimQuery, count: int | None, now: float
) -> tuple[Reply | None, float | None]:
    """One store call: the 200 answer when it leased anything, else the next
    due time."""
    lease_seconds = services.settings.claim_timeout
    if count is None:
        polled = await services.store.intent_poll(
            query, _lease(services, query, now), now
        )
        if polled.intent is None:
            return None, polled.next_due
        view = claim_view(polled.intent, lease_seconds, polled.checkpoint)
        return json_reply(200, view), None
    leases = LazyLeases(count, lambda: _lease(services, query, now))
    many = await services.store.intent_poll_many(query, leases, now)
    if not many.intents:
        return None, many.next_due
    checkpoints = many.checkpoints or [None] * len(many.intents)
    views = [
        claim_view(intent, lease_seconds, checkpoint)
        for intent, checkpoint in zip(many.intents, checkpoints, strict=True)
    ]
    return json_reply(200, ClaimManyResponse(intents=views)), None


def _empty(services: Services, now: float, next_due: float | None) -> Reply:
    """204 with a Retry-After pointing at the next due intent or the poll interval."""
    hint = policy.empty_claim_retry_after(
        now, next_due, services.settings.poll_interval
    )
    return Reply(204, b"", retry_after(hint))


def _lease(services: Services, query: ClaimQuery, now: float) -> Lease:
    return Lease(
        claim_token=policy.claim_token(),
        expires_at=policy.lease_expiry(now, services.settings.claim_timeout),
        worker_id=query.worker_id,
    )


class LazyLeases(Sequence[Lease]):
    """The `count` leases a batch claim may grant, each made (its token
    drawn) when the store first asks for it: SQLite stops at the first claim
    that finds nothing, so an idle pickup of one intent draws two tokens, not
    `count`."""

    def __init__(self, count: int, make: Callable[[], Lease]) -> None:
        self._count = count
        self._make = make
        self._made: list[Lease] = []

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Lease: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Lease]: ...

    def __getitem__(self, index: int | slice) -> Lease | Sequence[Lease]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        made = self._made
        while len(made) <= index:
            made.append(self._make())
        return made[index]


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
        services.hub.wake(work_of(intent))
    return json_reply(200, fail_view(intent))


def progress_report(body: ExtendRequest) -> ProgressReport | None:
    """What the holder reported with its extension, encoded for the store; a
    checkpoint over the limit is refused before anything is written."""
    if body.progress is None and body.checkpoint is None:
        return None
    checkpoint = None
    if body.checkpoint is not None:
        checkpoint = encode_value(body.checkpoint)
        if len(checkpoint) > protocol.CHECKPOINT_MAX_BYTES:
            raise payload_too_large(
                f"checkpoint: {len(checkpoint)} bytes as JSON, more than "
                f"{protocol.CHECKPOINT_MAX_BYTES}"
            )
    progress = None if body.progress is None else encode_value(body.progress)
    return ProgressReport(progress=progress, checkpoint=checkpoint)


async def extend_claim(call: Call, body: ExtendRequest) -> Reply:
    """Moves the lease's expiry and saves the holder's progress and
    checkpoint with it (all or nothing: a stale token changes neither)."""
    report = progress_report(body)
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
        report=report,
    )
    services = call.services
    await note_extension(
        services.store, services.sightings, call.caller.owner, intent, call.now
    )
    return json_reply(200, extend_view(intent, call.now, seconds))


_LEASE_ERRORS = {404: ErrorBody}

ENDPOINTS = (
    Endpoint(
        "POST",
        "/claim",
        claim,
        "Lease the best eligible intent, or with max=N up to N of them"
        " (204 + Retry-After when none)",
        responses={200: (ClaimResponse, ClaimManyResponse), 204: None},
        query=ClaimManyParams,
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
        "Extend a live lease, saving progress and a checkpoint with it",
        body=ExtendRequest,
        responses={200: ExtendResponse, 413: ErrorBody, **_LEASE_ERRORS},
    ),
)
