"""Request inputs and response bodies of the HTTP API, declared once as Structs.

Bodies, query strings and request headers alike: the same classes decode
requests (types and ranges via `Meta` constraints built from `protocol`'s
limits), encode responses, and generate `/openapi.json`, so the documentation
cannot drift from what the server accepts and answers. Stored JSON (payloads,
results, KV values) travels as `msgspec.Raw`: the store's bytes are embedded,
never decoded.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Raw, Struct, field

from intent_bus import protocol

NonEmpty = Meta(min_length=1)
Text = Annotated[str, Meta(pattern=protocol.TEXT_PATTERN)]
"""A string without NUL: every text input the store keeps or looks up is one."""
Goal = Annotated[Text, Meta(min_length=1, max_length=protocol.GOAL_MAX_CHARS)]
Namespace = Annotated[Text, Meta(min_length=1, max_length=protocol.NAMESPACE_MAX_CHARS)]
Target = Annotated[Text, Meta(max_length=protocol.TARGET_MAX_CHARS)]
Capability = Annotated[Text, Meta(max_length=protocol.CAPABILITY_MAX_CHARS)]
ConcurrencyKey = Annotated[
    Text,
    Meta(
        max_length=protocol.CONCURRENCY_KEY_MAX_CHARS,
        description="Claimed intents sharing it count against a limit's max_per_key",
    ),
]
Priority = Annotated[int, Meta(ge=protocol.PRIORITY_MIN, le=protocol.PRIORITY_MAX)]
Delay = Annotated[float, Meta(ge=0, le=protocol.MAX_DELAY_SECONDS)]
MaxAttempts = Annotated[int, Meta(ge=1, le=protocol.MAX_ATTEMPTS_LIMIT)]
BackoffBase = Annotated[float, Meta(gt=0, le=protocol.MAX_DELAY_SECONDS)]
ClaimToken = Annotated[
    Text, Meta(min_length=1, max_length=protocol.CLAIM_TOKEN_MAX_CHARS)
]
Owner = Annotated[Text, Meta(min_length=1, max_length=protocol.OWNER_MAX_CHARS)]
WorkerId = Annotated[Text, Meta(max_length=protocol.WORKER_ID_MAX_CHARS)]
IdempotencyKey = Annotated[
    Text, Meta(min_length=1, max_length=protocol.IDEMPOTENCY_KEY_MAX_CHARS)
]
Wait = Annotated[float, Meta(gt=0, le=protocol.MAX_WAIT_SECONDS)]
DeadListLimit = Annotated[int, Meta(ge=1, le=protocol.DEAD_LIST_MAX)]

# mypy accepts only literal values inside Literal[...], so these repeat the
# tuples of `protocol`; tests/unit/server/test_server_schemas.py pins them equal.
Visibility = Literal["private", "public"]
ResultType = Literal["json", "text"]
StatusName = Literal["open", "claimed", "fulfilled", "dead", "cancelled"]
RoleName = Literal["admin", "tenant"]
EventType = Literal[
    "published",
    "claimed",
    "failed",
    "lease_expired",
    "requeued",
    "cancel_requested",
    "cancelled",
    "fulfilled",
    "dead",
]
Overlap = Literal["allow", "skip"]
CatchUp = Literal["none", "latest", "all"]


def _doc(text: str) -> Meta:
    return Meta(description=text)


# -- requests ------------------------------------------------------------------


class PublishRequest(Struct, kw_only=True):
    """Body of POST /intent."""

    goal: Goal
    payload: Any = None
    namespace: Namespace = protocol.DEFAULT_NAMESPACE
    visibility: Visibility = protocol.VISIBILITY_PRIVATE
    priority: Priority = protocol.DEFAULT_PRIORITY
    delay: Delay = 0.0
    max_attempts: MaxAttempts = protocol.DEFAULT_MAX_ATTEMPTS
    backoff_base: BackoffBase = protocol.DEFAULT_BACKOFF_BASE
    target_worker: Target | None = None
    required_capability: Capability | None = None
    concurrency_key: ConcurrencyKey | None = None


class FulfillRequest(Struct, kw_only=True):
    """Body of POST /fulfill/{id}; `result` must be a string for result_type text."""

    claim_token: ClaimToken
    result_type: ResultType = protocol.RESULT_TYPE_JSON
    result: Any = None


# Rules between fields that a Struct's types cannot say, as JSON Schema merged
# into the Struct's OpenAPI component; the route enforces each one.
_TEXT_RESULT_IS_A_STRING: dict[str, Any] = {
    "if": {
        "properties": {"result_type": {"const": protocol.RESULT_TYPE_TEXT}},
        "required": ["result_type"],
    },
    "then": {
        "properties": {"result": {"type": "string"}},
        "required": ["result"],
    },
}
CROSS_FIELD_RULES: dict[str, dict[str, Any]] = {
    "FulfillRequest": _TEXT_RESULT_IS_A_STRING,
    # An item of POST /complete (schemas_batch.py): fulfill or fail, not both.
    "CompletionItem": {
        **_TEXT_RESULT_IS_A_STRING,
        "not": {"required": ["result", "error"]},
    },
}


class FailRequest(Struct, kw_only=True):
    """Body of POST /fail/{id}; the error text is kept truncated."""

    claim_token: ClaimToken
    error: str = ""


class KvSetRequest(Struct, kw_only=True):
    """Body of POST /set/{key}; ttl above the server maximum is lowered to it."""

    value: Any
    ttl: Annotated[int, Meta(gt=0)] = protocol.KV_DEFAULT_TTL


class KeyCreateRequest(Struct, kw_only=True):
    """Body of POST /admin/keys."""

    owner: Owner


class ClaimParams(Struct, kw_only=True):
    """Query of POST /claim."""

    namespace: Annotated[Namespace, _doc("Namespace to claim from")] = (
        protocol.DEFAULT_NAMESPACE
    )
    goal: Annotated[Goal, _doc("Only intents with this goal")] | None = None
    publisher: Annotated[Owner, _doc("Only intents of this tenant (owner)")] | None = (
        None
    )
    wait: (
        Annotated[Wait, _doc("Long-poll: hold up to this many seconds for work")] | None
    ) = None


class WorkerHeaders(Struct, kw_only=True):
    """Headers of POST /claim: who the worker is and what it can do."""

    worker_id: Annotated[WorkerId, _doc("The worker's id")] | None = field(
        default=None, name=protocol.HEADER_WORKER_ID
    )
    capabilities: Annotated[Text, _doc("Comma-separated capabilities")] | None = field(
        default=None, name=protocol.HEADER_WORKER_CAPABILITIES
    )
    # The worker's client, for the workers registry: its X-Intent-Version, or
    # else its User-Agent.
    intent_version: Annotated[str, _doc("Client protocol version")] | None = field(
        default=None, name=protocol.HEADER_VERSION
    )
    user_agent: Annotated[str, _doc("Client software")] | None = field(
        default=None, name=protocol.HEADER_USER_AGENT
    )


class PublishHeaders(Struct, kw_only=True):
    """Headers of POST /intent."""

    idempotency_key: (
        Annotated[IdempotencyKey, _doc("Retries with this key create one intent")]
        | None
    ) = field(default=None, name=protocol.HEADER_IDEMPOTENCY_KEY)


class MetricsHeaders(Struct, kw_only=True):
    """Headers of GET /metrics: without a key, no per-namespace series."""

    authorization: (
        Annotated[Text, _doc("Bearer <metrics key or admin key>: per-namespace series")]
        | None
    ) = field(default=None, name=protocol.HEADER_AUTHORIZATION)
    api_key: (
        Annotated[Text, _doc("The metrics key or an admin key, instead of Bearer")]
        | None
    ) = field(default=None, name=protocol.HEADER_API_KEY)


class DeadListParams(Struct, kw_only=True):
    """Query of GET /admin/dead; an empty filter means no filter."""

    owner: (
        Annotated[
            Text,
            Meta(max_length=protocol.OWNER_MAX_CHARS),
            _doc("Only this tenant's intents"),
        ]
        | None
    ) = None
    namespace: (
        Annotated[
            Text,
            Meta(max_length=protocol.NAMESPACE_MAX_CHARS),
            _doc("Only this namespace"),
        ]
        | None
    ) = None
    limit: Annotated[
        DeadListLimit, _doc(f"At most this many (default {protocol.DEAD_LIST_DEFAULT})")
    ] = protocol.DEAD_LIST_DEFAULT


# -- responses -----------------------------------------------------------------


class ErrorDetail(Struct):
    code: str
    message: str


class ErrorBody(Struct):
    """The error envelope every failed request answers with."""

    error: ErrorDetail


class StatusView(Struct, kw_only=True, omit_defaults=True):
    """What a publisher may know about its intent (POST /intent, GET /status).
    `progress` is left out unless the lease holder reported one (GET /status,
    GET /result and GET /intents/{id} show it)."""

    id: str
    status: StatusName
    goal: str
    namespace: str
    claim_attempts: int
    max_attempts: int
    priority: int
    run_at: float
    created_at: float
    error: str | None
    visibility: Visibility
    target_worker: str | None
    required_capability: str | None
    lease_expires_at: float | None
    completed_at: float | None
    progress: float | str | None = None


class CancelView(StatusView, kw_only=True):
    """POST /cancel: the status view, and whether the worker holding the lease
    has been asked to stop (the intent stays claimed until it does)."""

    cancel_requested: bool


ErrorFilter = Annotated[Text, Meta(min_length=1, max_length=protocol.ERROR_MAX_CHARS)]


class BulkCancelRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of POST /intents/cancel: which open intents to cancel. `owner` is
    for admin keys only; a tenant acts on its own intents."""

    goal: Goal | None = None
    namespace: Namespace | None = None
    owner: Owner | None = None
    dry_run: bool = False


class BulkRequeueRequest(BulkCancelRequest, kw_only=True):
    """Body of POST /intents/requeue: which dead intents to requeue;
    `error_contains` matches the last error, case-insensitively."""

    error_contains: ErrorFilter | None = None


class BulkCancelled(Struct, kw_only=True):
    matched: int
    cancelled: int


class BulkRequeued(Struct, kw_only=True):
    matched: int
    requeued: int


class EventView(Struct, kw_only=True, omit_defaults=True):
    """One change in an intent's life; fields that do not apply are left out."""

    type: EventType
    at: float
    worker: str | None = None
    attempt: int | None = None
    error: str | None = None
    detail: str | None = None


class EventList(Struct, kw_only=True):
    """GET /intents/<id>/events: the timeline, oldest first."""

    id: str
    events: list[EventView]


class ResultView(StatusView, kw_only=True):
    """GET /result of a terminal intent: the status view plus the outcome."""

    result: Raw | None
    result_type: ResultType


class DeadIntentView(StatusView, kw_only=True):
    """A dead intent as admins see it, with the tenant that published it."""

    owner: str


class ClaimResponse(Struct, kw_only=True, omit_defaults=True):
    """A leased intent; `claim_token` proves the lease on fulfill/fail/extend."""

    id: str
    goal: str
    payload: Raw
    claim_token: str
    namespace: str
    claim_attempts: int
    priority: int
    claim_timeout: int
    target_worker: str | None
    required_capability: str | None
    max_attempts: int
    lease_expires_at: float
    created_at: float
    checkpoint: Raw | None = None
    """What an earlier lease holder saved with /extend_claim; absent if nothing."""


class FulfillResponse(Struct, kw_only=True):
    """`status` is cancelled when a cancel was requested during the lease."""

    id: str
    status: Literal["fulfilled", "cancelled"]
    completed_at: float


class FailResponse(Struct, kw_only=True):
    """`status` is open (retry at run_at), dead (attempts spent) or cancelled
    (a cancel was requested during the lease)."""

    id: str
    status: Literal["open", "dead", "cancelled"]
    run_at: float
    claim_attempts: int
    max_attempts: int


class KvSetResponse(Struct, kw_only=True):
    ok: bool
    key: str
    expires_at: float


class KvGetResponse(Struct, kw_only=True):
    value: Raw


class HealthResponse(Struct, kw_only=True):
    status: str
    version: str


class KeyCreated(Struct, kw_only=True):
    """The only response that ever shows a key's secret (`api_key`)."""

    api_key: str
    id: str
    owner: str
    role: RoleName
    created_at: float


class KeyView(Struct, kw_only=True):
    id: str
    owner: str
    role: RoleName
    created_at: float
    revoked_at: float | None


class KeyList(Struct, kw_only=True):
    keys: list[KeyView]


class StatsResponse(Struct, kw_only=True):
    by_status: dict[str, int]
    by_namespace: dict[str, dict[str, int]]
    oldest_open_created_at: float | None


class DeadList(Struct, kw_only=True):
    intents: list[DeadIntentView]


# -- the root page --


class RootHeaders(Struct, kw_only=True):
    """Headers of GET /: which answer the client prefers."""

    accept: (
        Annotated[str, _doc(f"{protocol.MEDIA_JSON} for the JSON answer")] | None
    ) = field(default=None, name=protocol.HEADER_ACCEPT)


class RootLinks(Struct, kw_only=True):
    """What GET / answers a JSON client: where people and programs start."""

    name: str
    console: str
    docs: str
    openapi: str
    health: str


encoder = msgspec.json.Encoder()
"""The one encoder of response bodies."""
