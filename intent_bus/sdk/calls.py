"""Every SDK operation as pure data: argument checks, the request, the parse.

A builder here validates a method's arguments (raising ``IntentBusError`` before
anything is sent), describes the HTTP request as a ``Call`` and says how to
read the response. ``IntentClient`` and ``AsyncIntentClient`` only send calls,
so each operation is written once for both, and is unit-tested without sockets.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from intent_bus import protocol
from intent_bus.sdk import kv
from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusLeaseLostError,
    IntentBusProtocolError,
    IntentBusRateLimitError,
)
from intent_bus.sdk.models import (
    ClaimedIntent,
    ClaimResponse,
    IntentResult,
    IntentStatus,
)
from intent_bus.sdk.retry import Safety, parse_retry_after
from intent_bus.sdk.strict_json import dumps_bytes

T = TypeVar("T")

Parse = Callable[[httpx.Response, bool], T]
"""Reads a response; the flag says an earlier attempt's outcome is unknown."""


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request, ready to sign and send, and how to read its answer."""

    method: str
    path: str
    parse: Parse[T]
    retry: Safety = Safety.ALWAYS
    params: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    extra_read_timeout: float = 0.0
    """Added to the read timeout, for a long-poll claim that the server holds."""


# ---------------------------------------------------------------- arguments


def _text(name: str, value: Any, max_chars: int) -> str:
    if not isinstance(value, str):
        raise IntentBusError(f"{name} must be a string, got {type(value).__name__}")
    if not value:
        raise IntentBusError(f"{name} must not be empty")
    if len(value) > max_chars:
        raise IntentBusError(f"{name} must be at most {max_chars} characters")
    return value


def _opt_text(name: str, value: Any, max_chars: int) -> str | None:
    return None if value is None else _text(name, value, max_chars)


def _header_text(name: str, value: Any, max_chars: int) -> str:
    text = _text(name, value, max_chars)
    if not text.isascii() or not text.isprintable():
        raise IntentBusError(f"{name} must be printable ASCII (it travels in a header)")
    return text


def _int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise IntentBusError(f"{name} must be an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise IntentBusError(f"{name} must be {bounds}, got {value}")
    return value


def _number(
    name: str, value: Any, *, positive: bool, high: float | None = None
) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise IntentBusError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise IntentBusError(f"{name} must be finite")
    if (positive and value <= 0) or value < 0:
        raise IntentBusError(f"{name} must be {'> 0' if positive else '>= 0'}")
    if high is not None and value > high:
        raise IntentBusError(f"{name} must be at most {high:g}")
    return value


def _intent_id(value: Any) -> str:
    if isinstance(value, ClaimResponse):
        if value.intent is None:
            raise IntentBusError(
                "this ClaimResponse holds no intent (nothing was claimed)"
            )
        return value.intent.id
    if isinstance(value, ClaimedIntent | IntentStatus | IntentResult):
        return value.id
    return _text("intent_id", value, 256)


def _segment(text: str) -> str:
    # Ids and KV keys are single path segments whatever they contain.
    return quote(text, safe="")


# ---------------------------------------------------------------- responses


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise IntentBusProtocolError(
            f"server sent a non-JSON body with HTTP {response.status_code}: "
            f"{response.text[:200]!r}",
            status_code=response.status_code,
        ) from None


def error_from(response: httpx.Response, *, lease: bool = False) -> IntentBusError:
    """The exception for an error response (lease=True: 404 means lease lost)."""
    status = response.status_code
    code: str | None = None
    message = response.reason_phrase or "error"
    try:
        envelope = json.loads(response.content)["error"]
        code = envelope.get("code") if isinstance(envelope.get("code"), str) else None
        if isinstance(envelope.get("message"), str):
            message = envelope["message"]
    except (ValueError, KeyError, TypeError, AttributeError):
        if response.content:
            message = response.text[:200]
    cls: type[IntentBusError] = IntentBusError
    if status in (401, 403):
        cls = IntentBusAuthError
    elif status == 404 and lease:
        cls = IntentBusLeaseLostError
    elif status == 429:
        return IntentBusRateLimitError(
            message,
            code=code,
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    elif 200 <= status < 300 or 100 <= status < 200:
        cls = IntentBusProtocolError
        message = f"unexpected HTTP {status} from the server"
    return cls(message, code=code, status_code=status)


def _expect(response: httpx.Response, *statuses: int, lease: bool = False) -> None:
    if response.status_code not in statuses:
        raise error_from(response, lease=lease)


def _expect_object(response: httpx.Response, what: str) -> dict[str, Any]:
    data = _json(response)
    if not isinstance(data, dict):
        raise IntentBusProtocolError(
            f"server sent an invalid {what}: not a JSON object"
        )
    return data


# ---------------------------------------------------------------- intents


def publish(
    goal: Any,
    payload: Any,
    *,
    namespace: Any = protocol.DEFAULT_NAMESPACE,
    visibility: Any = "private",
    priority: Any = protocol.DEFAULT_PRIORITY,
    delay: Any = 0.0,
    max_attempts: Any = protocol.DEFAULT_MAX_ATTEMPTS,
    backoff_base: Any = protocol.DEFAULT_BACKOFF_BASE,
    target_worker: Any = None,
    required_capability: Any = None,
    idempotency_key: Any = None,
    public: Any = None,
) -> Call[IntentStatus]:
    """POST /intent. The idempotency key (generated when not given) is part of the
    call, so the call's own retries can never create a second intent."""
    if public is not None:
        if not isinstance(public, bool):
            raise IntentBusError("public must be True or False")
        if not public and visibility == "public":
            raise IntentBusError("public=False contradicts visibility='public'")
        if public:
            visibility = "public"
    if visibility not in protocol.VISIBILITIES:
        raise IntentBusError(
            f"visibility must be one of {protocol.VISIBILITIES}, got {visibility!r}"
        )
    body: dict[str, Any] = {
        "goal": _text("goal", goal, protocol.GOAL_MAX_CHARS),
        "payload": payload,
        "namespace": _text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS),
        "visibility": visibility,
        "priority": _int(
            "priority", priority, protocol.PRIORITY_MIN, protocol.PRIORITY_MAX
        ),
        "delay": _number(
            "delay", delay, positive=False, high=protocol.MAX_DELAY_SECONDS
        ),
        "max_attempts": _int(
            "max_attempts", max_attempts, 1, protocol.MAX_ATTEMPTS_LIMIT
        ),
        "backoff_base": _number("backoff_base", backoff_base, positive=True),
    }
    if target_worker is not None:
        body["target_worker"] = _text(
            "target_worker", target_worker, protocol.TARGET_MAX_CHARS
        )
    if required_capability is not None:
        body["required_capability"] = _text(
            "required_capability", required_capability, protocol.CAPABILITY_MAX_CHARS
        )
    if idempotency_key is None:
        idempotency_key = uuid.uuid4().hex
    key = _header_text(
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
    _expect(response, 201, 200)
    return IntentStatus.from_json(_json(response))


def _capabilities(value: Any) -> str | None:
    if value is None:
        return None
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    try:
        names = [item.strip() if isinstance(item, str) else item for item in items]
    except TypeError:
        raise IntentBusError("capabilities must be a list of strings") from None
    for name in names:
        if not isinstance(name, str) or "," in name:
            raise IntentBusError(
                f"each capability must be a string without commas, got {name!r}"
            )
        _header_text("capability", name, protocol.CAPABILITY_MAX_CHARS)
    return ",".join(names) if names else None


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
        ("namespace", _text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS))
    ]
    if goal is not None:
        params.append(("goal", _text("goal", goal, protocol.GOAL_MAX_CHARS)))
    if publisher is not None:
        params.append(("publisher", _text("publisher", publisher, 256)))
    extra_read = 0.0
    if wait is not None:
        seconds = _number("wait", wait, positive=True, high=protocol.MAX_WAIT_SECONDS)
        params.append(("wait", f"{seconds:g}"))
        extra_read = float(seconds)
    headers = []
    if worker_id is not None:
        headers.append(
            (
                protocol.HEADER_WORKER_ID,
                _header_text("worker_id", worker_id, protocol.WORKER_ID_MAX_CHARS),
            )
        )
    caps = _capabilities(capabilities)
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
    _expect(response, 200)
    return ClaimResponse(ClaimedIntent.from_json(_json(response)), 200, retry_after)


def lease_of(
    intent: Any, claim_token: Any, remembered: Mapping[str, str]
) -> tuple[str, str]:
    """The (intent id, claim token) to act on: an explicit token wins, then the
    token this client remembered from its claim, then one carried by `intent`."""
    intent_id = _intent_id(intent)
    if claim_token is not None:
        return intent_id, _text("claim_token", claim_token, 1024)
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
    if result_type == "text" and not isinstance(result, str):
        raise IntentBusError("result must be a string when result_type is 'text'")
    body: dict[str, Any] = {"claim_token": claim_token, "result_type": result_type}
    if result is not None:
        body["result"] = result
    return Call(
        "POST",
        f"/fulfill/{_segment(intent_id)}",
        _lease_parser(intent_id, "fulfilled"),
        body=dumps_bytes(body, "result"),
    )


def fail(intent_id: str, claim_token: str, error: Any) -> Call[dict[str, Any]]:
    """POST /fail/<id>; the error text is cut to what the server keeps."""
    if not isinstance(error, str):
        raise IntentBusError(f"error must be a string, got {type(error).__name__}")
    body = {"claim_token": claim_token, "error": error[: protocol.ERROR_MAX_CHARS]}
    return Call(
        "POST",
        f"/fail/{_segment(intent_id)}",
        _lease_parser(intent_id, "failed"),
        body=dumps_bytes(body),
    )


def extend_claim(
    intent_id: str, claim_token: str, seconds: Any
) -> Call[dict[str, Any]]:
    """POST /extend_claim/<id>: the lease runs `seconds` from now (the server may
    grant less; the answer's ``claim_timeout`` says how much)."""
    seconds = _number("seconds", seconds, positive=True)
    body = {"claim_token": claim_token, "seconds": seconds}
    return Call(
        "POST",
        f"/extend_claim/{_segment(intent_id)}",
        _lease_parser(intent_id, None),
        body=dumps_bytes(body),
    )


def _lease_parser(intent_id: str, done_status: str | None) -> Parse[dict[str, Any]]:
    def parse(response: httpx.Response, uncertain: bool) -> dict[str, Any]:
        if response.status_code == 404 and uncertain and done_status is not None:
            return {"id": intent_id, "status": done_status, "uncertain": True}
        _expect(response, 200, lease=True)
        return _expect_object(response, "lease reply")

    return parse


def get_status(intent_id: Any) -> Call[IntentStatus]:
    """GET /status/<id>; 404 (unknown, or not yours) raises IntentBusError."""
    return Call("GET", f"/status/{_segment(_intent_id(intent_id))}", _parse_status)


def _parse_status(response: httpx.Response, uncertain: bool) -> IntentStatus:
    _expect(response, 200)
    return IntentStatus.from_json(_json(response))


def get_result(intent_id: Any) -> Call[IntentResult | None]:
    """GET /result/<id>: the result once terminal, None while not (202)."""
    return Call("GET", f"/result/{_segment(_intent_id(intent_id))}", _parse_result)


def _parse_result(response: httpx.Response, uncertain: bool) -> IntentResult | None:
    if response.status_code == 202:
        return None
    _expect(response, 200)
    return IntentResult.from_json(_json(response))


# ---------------------------------------------------------------- key-value


def _kv_key(key: Any) -> str:
    return _text("key", key, protocol.KV_KEY_MAX_CHARS)


def kv_set(key: Any, value: Any, ttl: Any) -> Call[dict[str, Any]]:
    """POST /set/<key>, with the value encoded as ``kv.encode_value`` says."""
    body = {"value": kv.encode_value(value), "ttl": _int("ttl", ttl, 1)}
    return Call(
        "POST", f"/set/{_segment(_kv_key(key))}", _parse_set, body=dumps_bytes(body)
    )


def _parse_set(response: httpx.Response, uncertain: bool) -> dict[str, Any]:
    _expect(response, 200)
    return _expect_object(response, "KV set reply")


def kv_get(key: Any, default: Any = None) -> Call[Any]:
    """GET /get/<key>: the decoded value, or `default` when missing or expired."""

    def parse(response: httpx.Response, uncertain: bool) -> Any:
        if response.status_code == 404:
            return default
        _expect(response, 200)
        data = _expect_object(response, "KV get reply")
        if "value" not in data:
            raise IntentBusProtocolError(
                "server sent an invalid KV get reply: field 'value' is missing"
            )
        return kv.decode_value(data["value"])

    return Call("GET", f"/get/{_segment(_kv_key(key))}", parse)


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
