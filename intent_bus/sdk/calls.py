"""Every SDK operation as pure data: the request and how to read its answer.

A builder here checks a method's arguments (``args``: raising
``IntentBusError`` before anything is sent), describes the HTTP request as a
``Call`` and says how to read the response (``replies``). The client methods
(``operations``) yield these calls and the two clients only send them, so each
operation is written once for both, and is unit-tested without sockets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from intent_bus import protocol
from intent_bus.sdk import args, kv
from intent_bus.sdk.call import Call, Safety
from intent_bus.sdk.exceptions import IntentBusError, IntentBusProtocolError
from intent_bus.sdk.models import (
    ClaimedIntent,
    ClaimResponse,
    IntentResult,
    IntentStatus,
)
from intent_bus.sdk.replies import error_from, expect, expect_object, read_json
from intent_bus.sdk.retry import parse_retry_after
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = [
    "Call",
    "claim",
    "error_from",
    "extend_claim",
    "fail",
    "fulfill",
    "get_result",
    "get_status",
    "kv_get",
    "kv_set",
    "lease_of",
    "new_idempotency_key",
    "publish",
    "publish_body",
    "version_mismatch",
]


# ---------------------------------------------------------------- intents


def new_idempotency_key() -> str:
    """``uuid.uuid4().hex`` at about half its cost (``publish_many`` makes one
    per intent): 122 random bits with the version and variant bits of a UUID 4."""
    n = int.from_bytes(os.urandom(16), "big")
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # variant: RFC 4122
    n = (n & ~(0xF000 << 64)) | (4 << 76)  # version 4
    return f"{n:032x}"


def publish_body(
    goal: Any,
    payload: Any,
    *,
    namespace: Any = protocol.DEFAULT_NAMESPACE,
    visibility: Any = protocol.VISIBILITY_PRIVATE,
    priority: Any = protocol.DEFAULT_PRIORITY,
    delay: Any = 0.0,
    max_attempts: Any = protocol.DEFAULT_MAX_ATTEMPTS,
    backoff_base: Any = protocol.DEFAULT_BACKOFF_BASE,
    target_worker: Any = None,
    required_capability: Any = None,
    public: Any = None,
    concurrency_key: Any = None,
) -> dict[str, Any]:
    """The checked body of a publish (also what a schedule publishes)."""
    if public is not None:
        if not isinstance(public, bool):
            raise IntentBusError("public must be True or False")
        if not public and visibility == protocol.VISIBILITY_PUBLIC:
            raise IntentBusError("public=False contradicts visibility='public'")
        if public:
            visibility = protocol.VISIBILITY_PUBLIC
    if visibility not in protocol.VISIBILITIES:
        raise IntentBusError(
            f"visibility must be one of {protocol.VISIBILITIES}, got {visibility!r}"
        )
    body: dict[str, Any] = {
        "goal": args.text("goal", goal, protocol.GOAL_MAX_CHARS),
        "payload": payload,
        "namespace": args.text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS),
        "visibility": visibility,
        "priority": args.integer(
            "priority", priority, protocol.PRIORITY_MIN, protocol.PRIORITY_MAX
        ),
        "delay": args.number(
            "delay", delay, positive=False, high=protocol.MAX_DELAY_SECONDS
        ),
        "max_attempts": args.integer(
            "max_attempts", max_attempts, 1, protocol.MAX_ATTEMPTS_LIMIT
        ),
        "backoff_base": args.number("backoff_base", backoff_base, positive=True),
    }
    if target_worker is not None:
        body["target_worker"] = args.text(
            "target_worker", target_worker, protocol.TARGET_MAX_CHARS
        )
    if required_capability is not None:
        body["required_capability"] = args.text(
            "required_capability", required_capability, protocol.CAPABILITY_MAX_CHARS
        )
    if concurrency_key is not None:
        body["concurrency_key"] = args.text(
            "concurrency_key", concurrency_key, protocol.CONCURRENCY_KEY_MAX_CHARS
        )
    return body


def publish(
    goal: Any,
    payload: Any,
    *,
    namespace: Any = protocol.DEFAULT_NAMESPACE,
    visibility: Any = protocol.VISIBILITY_PRIVATE,
    priority: Any = protocol.DEFAULT_PRIORITY,
    delay: Any = 0.0,
    max_attempts: Any = protocol.DEFAULT_MAX_ATTEMPTS,
    backoff_base: Any = protocol.DEFAULT_BACKOFF_BASE,
    target_worker: Any = None,
    required_capability: Any = None,
    idempotency_key: Any = None,
    public: Any = None,
    concurrency_key: Any = None,
) -> Call[IntentStatus]:
    """POST /intent. The idempotency key (generated when not given) is part of the
    call, so the call's own retries can never create a second intent."""
    body = publish_body(
        goal,
        payload,
        namespace=namespace,
        visibility=visibility,
        priority=priority,
        delay=delay,
        max_attempts=max_attempts,
        backoff_base=backoff_base,
        target_worker=target_worker,
        required_capability=required_capability,
        public=public,
        concurrency_key=concurrency_key,
    )
    if idempotency_key is None:
        idempotency_key = new_idempotency_key()
    key = args.header_text(
        "idempotency_key", idempotency_key, protocol.IDEMPOTENCY_KEY_MAX_CHARS
    )
    return Call(
        "POST",
        "/intent",
        _parse_published,
        body=dumps_bytes(body, "payload"),
        headers=((protocol.HEADER_IDEMPOTENCY_KEY, key),),
    )


def _parse_published(response: httpx.Response, uncertain: bool) -> IntentStatus:
    # 200 as well as 201: a replayed idempotent publish may come back as either.
    expect(response, 201, 200)
    return IntentStatus.from_json(read_json(response))


def claim(
    *,
    goal: Any = None,
    namespace: Any = protocol.DEFAULT_NAMESPACE,
    worker_id: Any = None,
    capabilities: Any = None,
    publisher: Any = None,
    wait: Any = None,
) -> Call[ClaimResponse]:
    """POST /claim. Not idempotent: retried only when the server certainly did
    not process it (see ``Safety.UNPROCESSED``)."""
    params = [
        ("namespace", args.text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS))
    ]
    if goal is not None:
        params.append(("goal", args.text("goal", goal, protocol.GOAL_MAX_CHARS)))
    if publisher is not None:
        params.append(
            ("publisher", args.text("publisher", publisher, protocol.OWNER_MAX_CHARS))
        )
    extra_read = 0.0
    if wait is not None:
        seconds = args.number(
            "wait", wait, positive=True, high=protocol.MAX_WAIT_SECONDS
        )
        params.append(("wait", f"{seconds:g}"))
        extra_read = float(seconds)
    headers = []
    if worker_id is not None:
        headers.append(
            (
                protocol.HEADER_WORKER_ID,
                args.header_text("worker_id", worker_id, protocol.WORKER_ID_MAX_CHARS),
            )
        )
    caps = args.capabilities(capabilities)
    if caps:
        headers.append((protocol.HEADER_WORKER_CAPABILITIES, caps))
    return Call(
        "POST",
        "/claim",
        _parse_claim,
        retry=Safety.UNPROCESSED,
        params=tuple(params),
        headers=tuple(headers),
        extra_read_timeout=extra_read,
    )


def _parse_claim(response: httpx.Response, uncertain: bool) -> ClaimResponse:
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if response.status_code == 204:
        return ClaimResponse(None, 204, retry_after)
    expect(response, 200)
    return ClaimResponse(ClaimedIntent.from_json(read_json(response)), 200, retry_after)


def lease_of(
    intent: Any, claim_token: Any, remembered: Mapping[str, str]
) -> tuple[str, str]:
    """The (intent id, claim token) to act on: an explicit token wins, then the
    token this client remembered from its claim, then one carried by `intent`."""
    intent_id = args.intent_id(intent)
    if claim_token is not None:
        return intent_id, args.text(
            "claim_token", claim_token, protocol.CLAIM_TOKEN_MAX_CHARS
        )
    token = remembered.get(intent_id)
    if token is None and isinstance(intent, ClaimResponse | ClaimedIntent):
        token = intent.claim_token
    if token is None:
        raise IntentBusError(
            f"no claim token known for intent {intent_id}: it was not claimed by "
            "this client, so pass claim_token=..."
        )
    return intent_id, token


def fulfill(
    intent_id: str, claim_token: str, result: Any, result_type: Any
) -> Call[dict[str, Any]]:
    """POST /fulfill/<id>. Safe to repeat with the token; a repeat whose first
    attempt's answer was lost may find the intent already fulfilled (404), which
    is then reported as success because the lease holder's request got through
    or the intent is another worker's anyway."""
    if result_type not in protocol.RESULT_TYPES:
        raise IntentBusError(
            f"result_type must be one of {protocol.RESULT_TYPES}, got {result_type!r}"
        )
    if result_type == protocol.RESULT_TYPE_TEXT and not isinstance(result, str):
        raise IntentBusError("result must be a string when result_type is 'text'")
    body: dict[str, Any] = {"claim_token": claim_token, "result_type": result_type}
    if result is not None:
        body["result"] = result
    return Call(
        "POST",
        f"/fulfill/{args.segment(intent_id)}",
        _lease_parser,
        body=dumps_bytes(body, "result"),
    )


def fail(intent_id: str, claim_token: str, error: Any) -> Call[dict[str, Any]]:
    """POST /fail/<id>; the error text is cut to what the server keeps."""
    if not isinstance(error, str):
        raise IntentBusError(f"error must be a string, got {type(error).__name__}")
    body = {"claim_token": claim_token, "error": error[: protocol.ERROR_MAX_CHARS]}
    return Call(
        "POST",
        f"/fail/{args.segment(intent_id)}",
        _lease_parser,
        body=dumps_bytes(body),
    )


def extend_claim(
    intent_id: str,
    claim_token: str,
    seconds: Any,
    progress: Any = None,
    checkpoint: Any = None,
) -> Call[dict[str, Any]]:
    """POST /extend_claim/<id>: the lease runs `seconds` from now (the server may
    grant less; the answer's ``claim_timeout`` says how much); `progress` and
    `checkpoint`, when not None, are saved with it."""
    seconds = args.number("seconds", seconds, positive=True)
    body: dict[str, Any] = {"claim_token": claim_token, "seconds": seconds}
    if progress is not None:
        body["progress"] = args.progress(progress)
    if checkpoint is not None:
        args.checkpoint(checkpoint)
        body["checkpoint"] = checkpoint
    return Call(
        "POST",
        f"/extend_claim/{args.segment(intent_id)}",
        _lease_parser,
        body=dumps_bytes(body),
    )


def _lease_parser(response: httpx.Response, uncertain: bool) -> dict[str, Any]:
    """A lease answer. A retried fulfill or fail that the server had already
    stored is answered 200 with the stored outcome, so a 404 here is the truth
    even after a lost answer: the lease is gone."""
    expect(response, 200, lease=True)
    return expect_object(response, "lease reply")


def get_status(intent_id: Any) -> Call[IntentStatus]:
    """GET /status/<id>; 404 (unknown, or not yours) raises IntentBusError."""
    return Call(
        "GET", f"/status/{args.segment(args.intent_id(intent_id))}", _parse_status
    )


def _parse_status(response: httpx.Response, uncertain: bool) -> IntentStatus:
    expect(response, 200)
    return IntentStatus.from_json(read_json(response))


def get_result(intent_id: Any) -> Call[IntentResult | None]:
    """GET /result/<id>: the result once terminal, None while not (202)."""
    return Call(
        "GET", f"/result/{args.segment(args.intent_id(intent_id))}", _parse_result
    )


def _parse_result(response: httpx.Response, uncertain: bool) -> IntentResult | None:
    if response.status_code == 202:
        return None
    expect(response, 200)
    return IntentResult.from_json(read_json(response))


# ---------------------------------------------------------------- key-value


def _kv_key(key: Any) -> str:
    return args.text("key", key, protocol.KV_KEY_MAX_CHARS)


def kv_set(key: Any, value: Any, ttl: Any) -> Call[dict[str, Any]]:
    """POST /set/<key>, with the value encoded as ``kv.encode_value`` says."""
    body = {"value": kv.encode_value(value), "ttl": args.integer("ttl", ttl, 1)}
    return Call(
        "POST", f"/set/{args.segment(_kv_key(key))}", _parse_set, body=dumps_bytes(body)
    )


def _parse_set(response: httpx.Response, uncertain: bool) -> dict[str, Any]:
    expect(response, 200)
    return expect_object(response, "KV set reply")


def kv_get(key: Any, default: Any = None) -> Call[Any]:
    """GET /get/<key>: the decoded value, or `default` when missing or expired."""

    def parse(response: httpx.Response, uncertain: bool) -> Any:
        if response.status_code == 404:
            return default
        expect(response, 200)
        data = expect_object(response, "KV get reply")
        if "value" not in data:
            raise IntentBusProtocolError(
                "server sent an invalid KV get reply: field 'value' is missing"
            )
        return kv.decode_value(data["value"])

    return Call("GET", f"/get/{args.segment(_kv_key(key))}", parse)


# ---------------------------------------------------------------- versions


def version_mismatch(header: str | None) -> str | None:
    """A warning text when the server speaks another protocol major version."""
    if header is None:
        return None
    major = protocol.version_major(header)
    if major == protocol.PROTOCOL_MAJOR:
        return None
    return (
        f"Intent Bus server speaks protocol version {header!r}; this SDK speaks "
        f"{protocol.PROTOCOL_VERSION}. Requests may fail or be misread."
    )
