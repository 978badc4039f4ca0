"""The batch requests as pure data: POST /intents, POST /claim?max=N and
POST /complete, each item checked like its single operation's arguments.

A batch bigger than one request may carry is split (``chunks``) by count and
by size, so ``publish_many`` of 10,000 small intents is ten requests and one
large payload never pushes its neighbours past the server's body limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import httpx

from intent_bus import protocol
from intent_bus.sdk import args, calls
from intent_bus.sdk.batch_models import ClaimBatch, CompletionOutcome, PublishOutcome
from intent_bus.sdk.call import Call
from intent_bus.sdk.exceptions import IntentBusError, IntentBusProtocolError
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.sdk.replies import expect, expect_object
from intent_bus.sdk.retry import parse_retry_after
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = [
    "BATCH_BODY_BUDGET",
    "chunks",
    "claim_many",
    "complete_many",
    "completion_item",
    "publish_item",
    "publish_many",
]

BATCH_BODY_BUDGET: Final = protocol.MAX_BODY_BYTES * 3 // 4
"""Bytes of items one batch request carries at most (an item larger than this
goes alone): a quarter of the default body limit to spare, so that 1,000
small intents (~200 bytes each) still go in one request."""

# What `publish` takes: the wire's publish fields, plus its `public` shorthand.
_PUBLISH_ARGS: Final = frozenset(protocol.PUBLISH_FIELDS) | {"public"}


_PUBLISH_OPTIONS: Final = _PUBLISH_ARGS - {"goal", "payload"}
_ITEM_KEYS: Final = _PUBLISH_ARGS | {"idempotency_key"}


def publish_item(intent: Mapping[str, Any]) -> dict[str, Any]:
    """One item of POST /intents from ``publish``'s keyword arguments, with an
    idempotency key (generated unless given) so that a retried batch publishes
    each intent once."""
    if not isinstance(intent, Mapping):
        raise IntentBusError(
            f"each intent must be a mapping of publish arguments, got "
            f"{type(intent).__name__}"
        )
    if not _ITEM_KEYS.issuperset(intent):
        unknown = set(intent) - _ITEM_KEYS
        raise IntentBusError(f"unknown publish arguments: {sorted(unknown)}")
    if "goal" not in intent:
        raise IntentBusError("each intent needs a goal")
    body = calls.publish_body(
        intent["goal"],
        intent.get("payload"),
        **{k: v for k, v in intent.items() if k in _PUBLISH_OPTIONS},
    )
    key = intent.get("idempotency_key")
    body["idempotency_key"] = args.header_text(
        "idempotency_key",
        calls.new_idempotency_key() if key is None else key,
        protocol.IDEMPOTENCY_KEY_MAX_CHARS,
    )
    return body


def chunks(
    items: Iterable[tuple[dict[str, Any], bytes]], limit: int
) -> Iterator[list[tuple[dict[str, Any], bytes]]]:
    """Groups encoded items into requests of at most `limit` items and
    BATCH_BODY_BUDGET bytes."""
    group: list[tuple[dict[str, Any], bytes]] = []
    size = 0
    for item in items:
        if group and (len(group) >= limit or size + len(item[1]) > BATCH_BODY_BUDGET):
            yield group
            group, size = [], 0
        group.append(item)
        size += len(item[1]) + 1
    if group:
        yield group


def _body(field: str, encoded: list[tuple[dict[str, Any], bytes]]) -> bytes:
    return b'{"' + field.encode() + b'":[' + b",".join(e for _, e in encoded) + b"]}"


def publish_many(
    encoded: list[tuple[dict[str, Any], bytes]],
) -> Call[list[PublishOutcome]]:
    """POST /intents for one chunk; safe to repeat (every item has its key)."""
    return Call(
        "POST",
        "/intents",
        _outcomes(PublishOutcome.from_json, len(encoded)),
        body=_body("intents", encoded),
    )


def encoded(item: dict[str, Any], what: str) -> tuple[dict[str, Any], bytes]:
    return item, dumps_bytes(item, what)


def claim_many(max_count: Any, **claim_args: Any) -> Call[ClaimBatch]:
    """POST /claim?max=N; never repeated once it may have reached the server,
    like ``claim``."""
    count = args.integer("max", max_count, 1, protocol.CLAIM_BATCH_MAX)
    single = calls.claim(**claim_args)
    return Call(
        single.method,
        single.path,
        _parse_claim_many,
        retry=single.retry,
        params=(*single.params, ("max", str(count))),
        headers=single.headers,
        extra_read_timeout=single.extra_read_timeout,
    )


def _parse_claim_many(response: httpx.Response, uncertain: bool) -> ClaimBatch:
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if response.status_code == 204:
        return ClaimBatch((), 204, retry_after)
    expect(response, 200)
    data = expect_object(response, "claim batch")
    if "intents" not in data and "claim_token" in data:
        # A server without batch claims ignores `max` and leases one.
        return ClaimBatch((ClaimedIntent.from_json(data),), 200, retry_after)
    intents = data.get("intents")
    if not isinstance(intents, list):
        raise IntentBusProtocolError(
            "server sent an invalid claim batch: field 'intents' must be a list"
        )
    claimed = tuple(ClaimedIntent.from_json(intent) for intent in intents)
    return ClaimBatch(claimed, 200, retry_after)


def completion_item(
    item: Mapping[str, Any], remembered: Mapping[str, str]
) -> dict[str, Any]:
    """One item of POST /complete: ``{"id", "result", "result_type"}`` fulfills,
    ``{"id", "error"}`` fails; the claim token is the item's, or the one this
    client remembered from its claim, as for ``fulfill``."""
    if not isinstance(item, Mapping) or "id" not in item:
        raise IntentBusError("each completion must be a mapping with an 'id'")
    intent_id, token = calls.lease_of(item["id"], item.get("claim_token"), remembered)
    body: dict[str, Any] = {"id": intent_id, "claim_token": token}
    if item.get("error") is not None:
        if item.get("result") is not None:
            raise IntentBusError(
                f"completion of {intent_id}: result or error, not both"
            )
        error = item["error"]
        if not isinstance(error, str):
            raise IntentBusError(f"error must be a string, got {type(error).__name__}")
        body["error"] = error[: protocol.ERROR_MAX_CHARS]
        return body
    result_type = item.get("result_type", protocol.RESULT_TYPE_JSON)
    if result_type not in protocol.RESULT_TYPES:
        raise IntentBusError(
            f"result_type must be one of {protocol.RESULT_TYPES}, got {result_type!r}"
        )
    result = item.get("result")
    if result_type == protocol.RESULT_TYPE_TEXT and not isinstance(result, str):
        raise IntentBusError("result must be a string when result_type is 'text'")
    body["result_type"] = result_type
    if result is not None:
        body["result"] = result
    return body


def complete_many(
    encoded: list[tuple[dict[str, Any], bytes]],
) -> Call[list[CompletionOutcome]]:
    """POST /complete for one chunk; safe to repeat: the server answers a
    repeated completion by the same token as it answered the first."""
    return Call(
        "POST",
        "/complete",
        _outcomes(CompletionOutcome.from_json, len(encoded)),
        body=_body("items", encoded),
    )


def _outcomes(read: Any, count: int) -> Any:
    def parse(response: httpx.Response, uncertain: bool) -> list[Any]:
        expect(response, 200)
        results = expect_object(response, "batch reply").get("results")
        if not isinstance(results, list) or len(results) != count:
            raise IntentBusProtocolError(
                f"server sent an invalid batch reply: expected {count} results"
            )
        return [read(result) for result in results]

    return parse
