"""Publishing intents and reading their status and result."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.errors import not_found
from intent_bus.server.http.bodies import canonical_hash
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.publish import new_intent
from intent_bus.server.schemas import (
    ErrorBody,
    PublishHeaders,
    PublishRequest,
    ResultView,
    StatusView,
    encoder,
)
from intent_bus.server.views import new_status_view, result_view, status_view
from intent_bus.storage.base import Idempotency, Intent, IntentProgress, work_of


async def publish(call: Call, body: PublishRequest) -> Reply:
    """Creates an open intent, or replays the first answer to a retried publish."""
    intent = new_intent(body, call.caller.owner, call.now)
    response = encoder.encode(new_status_view(intent))
    record = idempotency_record(call, response)
    replay = await call.services.store.intent_publish(intent, record, call.now)
    if replay is not None:
        return Reply(replay.status_code, replay.body)
    call.services.hub.wake(work_of(intent))
    return Reply(201, response)


def idempotency_record(call: Call, response: bytes) -> Idempotency | None:
    headers: PublishHeaders = call.headers
    if headers.idempotency_key is None:
        return None
    return Idempotency(
        key_id=call.caller.id,
        key=headers.idempotency_key,
        body_hash=canonical_hash(call.json),
        status_code=201,
        response=response,
    )


async def visible_intent(call: Call) -> Intent:
    """The intent if the caller's tenant published it (or the caller is an
    admin); otherwise 404, never a hint that the id exists."""
    intent = await call.services.store.intent_get(call.params["intent_id"], call.now)
    key = call.caller
    if intent is None or (
        intent.owner != key.owner and key.role != protocol.ROLE_ADMIN
    ):
        raise not_found("intent not found")
    return intent


async def progress_of(call: Call, intent: Intent) -> IntentProgress | None:
    """What the intent's lease holders reported. An intent never claimed (no
    lease owner: every claim records one, nothing clears it) has nothing, and
    looking would cost a store call per status poll of a waiting intent."""
    if intent.lease_owner is None:
        return None
    return await call.services.store.intent_progress_get(intent.id)


async def status(call: Call, _: None) -> Reply:
    intent = await visible_intent(call)
    return json_reply(200, status_view(intent, await progress_of(call, intent)))


async def result(call: Call, _: None) -> Reply:
    """200 with the outcome once terminal; 202 with the status view before."""
    intent = await visible_intent(call)
    saved = await progress_of(call, intent)
    if intent.status in protocol.TERMINAL_STATUSES:
        return json_reply(200, result_view(intent, saved))
    return json_reply(202, status_view(intent, saved))


ENDPOINTS = (
    Endpoint(
        "POST",
        "/intent",
        publish,
        "Publish an intent (idempotent with Idempotency-Key)",
        body=PublishRequest,
        headers=PublishHeaders,
        responses={201: StatusView, 409: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/status/{intent_id}",
        status,
        "Status of an intent published by the caller's tenant",
        responses={200: StatusView, 404: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/result/{intent_id}",
        result,
        "Result of a terminal intent (202 while still running)",
        responses={200: ResultView, 202: StatusView, 404: ErrorBody},
    ),
)
