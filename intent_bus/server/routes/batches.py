"""Batches: many publishes (POST /intents) or completions (POST /complete) in
one request and one transaction; many claims are POST /claim?max=N (leases.py).

All-or-nothing where it can be: every item is validated before anything is
written, and a malformed one refuses the request (400 naming the item). What is
known only at write time (an idempotency key reused with another body, a lost
lease) is that item's outcome, in the protocol's error shape; the others
commit.
"""

from __future__ import annotations

import msgspec
from msgspec import UnsetType

from intent_bus import protocol
from intent_bus.server import policy
from intent_bus.server.errors import invalid_request, store_error_reply
from intent_bus.server.http.bodies import canonical_hash, encode_value
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.publish import new_intent
from intent_bus.server.schemas import ErrorBody, ErrorDetail, encoder
from intent_bus.server.schemas_batch import (
    CompleteRequest,
    CompleteResponse,
    CompletionItem,
    CompletionOutcome,
    PublishManyItem,
    PublishManyRequest,
    PublishManyResponse,
    PublishOutcome,
)
from intent_bus.server.views import fail_view, fulfill_view, new_status_view
from intent_bus.storage.base import (
    Completion,
    Idempotency,
    Intent,
    PublishItem,
    StoredResponse,
    work_of,
)
from intent_bus.storage.base import (
    CompletionOutcome as StoredCompletion,
)
from intent_bus.storage.base import (
    PublishOutcome as StoredPublish,
)
from intent_bus.storage.errors import StoreError

_replayed_id = msgspec.json.Decoder(dict[str, object])


# -- POST /intents -------------------------------------------------------------------
async def publish_many(call: Call, body: PublishManyRequest) -> Reply:
    """Publishes every item, each as POST /intent would, in one transaction."""
    raw_items = call.json["intents"]
    items = [
        _publish_item(call, item, raw)
        for item, raw in zip(body.intents, raw_items, strict=True)
    ]
    outcomes = await call.services.store.intent_publish_many(items, call.now)
    for item, stored in zip(items, outcomes, strict=True):
        if stored is None:
            call.services.hub.wake(work_of(item.intent))
    results = [
        _publish_outcome(item, stored)
        for item, stored in zip(items, outcomes, strict=True)
    ]
    return json_reply(200, PublishManyResponse(results=results))


def _publish_item(
    call: Call, item: PublishManyItem, raw: dict[str, object]
) -> PublishItem:
    """The stored record of one item. Its idempotency record is the one POST
    /intent would keep for the same body (without the key), so a key works
    across both endpoints: the first answer is replayed by either."""
    intent = new_intent(item, call.caller.owner, call.now)
    if item.idempotency_key is None:
        return PublishItem(intent)
    body = {name: value for name, value in raw.items() if name != "idempotency_key"}
    record = Idempotency(
        key_id=call.caller.id,
        key=item.idempotency_key,
        body_hash=canonical_hash(body),
        status_code=201,
        response=encoder.encode(new_status_view(intent)),
    )
    return PublishItem(intent, record)


def _publish_outcome(item: PublishItem, stored: StoredPublish) -> PublishOutcome:
    if stored is None:
        return PublishOutcome(outcome=protocol.OUTCOME_CREATED, id=item.intent.id)
    if isinstance(stored, StoredResponse):
        first = _replayed_id.decode(stored.body).get("id")
        return PublishOutcome(outcome=protocol.OUTCOME_REPLAYED, id=str(first))
    return PublishOutcome(outcome=protocol.OUTCOME_ERROR, error=_error(stored))


def _error(refused: StoreError) -> ErrorDetail:
    """The protocol's error shape for one item, as the single endpoint answers."""
    envelope = msgspec.json.decode(store_error_reply(refused).body)
    return ErrorDetail(**envelope["error"])


# -- POST /complete ------------------------------------------------------------------
async def complete(call: Call, body: CompleteRequest) -> Reply:
    """Fulfills or fails every item against its own claim token, in one
    transaction; retried after a lost answer, each item is answered as before."""
    completions = [_completion(index, item) for index, item in enumerate(body.items)]
    services = call.services

    def retry_delay(attempts: int, base: float) -> float:
        return policy.backoff_delay(attempts, base, services.random)

    outcomes = await services.store.intent_complete_many(
        completions, retry_delay, call.now, owner=call.caller.owner
    )
    results = []
    for done, stored in zip(completions, outcomes, strict=True):
        if isinstance(stored, Intent) and stored.status == protocol.STATUS_OPEN:
            services.hub.wake(work_of(stored))
        results.append(_completion_outcome(call, done, stored))
    return json_reply(200, CompleteResponse(results=results))


def _completion(index: int, item: CompletionItem) -> Completion:
    """The stored form of one item; the cross-field rules of POST /fulfill and
    POST /fail, checked before anything is written."""
    where = f"items[{index}]"
    if item.result_type == protocol.RESULT_TYPE_TEXT and not isinstance(
        item.result, str
    ):
        raise invalid_request(
            f"{where}.result: must be a string when result_type is text"
        )
    if not isinstance(item.error, UnsetType):
        if not isinstance(item.result, UnsetType):
            raise invalid_request(f"{where}: give result (fulfill) or error (fail)")
        error = policy.truncate_error(item.error)
        return Completion(item.id, item.claim_token, "fail", error=error)
    result = None if isinstance(item.result, UnsetType) else item.result
    return Completion(
        item.id,
        item.claim_token,
        "fulfill",
        result=encode_value(result),
        result_type=item.result_type,
    )


def _completion_outcome(
    call: Call, done: Completion, stored: StoredCompletion
) -> CompletionOutcome:
    if isinstance(stored, StoreError):
        return CompletionOutcome(id=done.intent_id, error=_error(stored))
    if done.kind == "fulfill":
        fulfilled = fulfill_view(stored, call.now)
        return CompletionOutcome(
            id=stored.id, status=fulfilled.status, completed_at=fulfilled.completed_at
        )
    failed = fail_view(stored)
    return CompletionOutcome(
        id=stored.id,
        status=failed.status,
        run_at=failed.run_at,
        claim_attempts=failed.claim_attempts,
        max_attempts=failed.max_attempts,
    )


ENDPOINTS = (
    Endpoint(
        "POST",
        "/intents",
        publish_many,
        f"Publish up to {protocol.PUBLISH_BATCH_MAX} intents in one transaction;"
        " an outcome per item",
        body=PublishManyRequest,
        responses={200: PublishManyResponse, 413: ErrorBody},
    ),
    Endpoint(
        "POST",
        "/complete",
        complete,
        f"Fulfill or fail up to {protocol.COMPLETE_BATCH_MAX} leases in one"
        " transaction; an outcome per item",
        body=CompleteRequest,
        responses={200: CompleteResponse, 413: ErrorBody},
    ),
)
