"""The Intent Protocol v2.1 wire contract, shared by the SDK and the server.

Standard library only: both sides import this module, so a fact about the wire
(a header name, a limit, how a request is signed) is written down exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Final, Protocol
from urllib.parse import quote

PROTOCOL_VERSION: Final = "7.61"
PROTOCOL_MAJOR: Final = 7

# Header names, as the published clients send them.
HEADER_API_KEY: Final = "X-API-KEY"
HEADER_TIMESTAMP: Final = "X-Timestamp"
HEADER_NONCE: Final = "X-Nonce"
HEADER_SIGNATURE: Final = "X-Signature"
HEADER_VERSION: Final = "X-Intent-Version"
HEADER_IDEMPOTENCY_KEY: Final = "Idempotency-Key"
HEADER_WORKER_ID: Final = "X-Worker-ID"
HEADER_WORKER_CAPABILITIES: Final = "X-Worker-Capabilities"
HEADER_RETRY_AFTER: Final = "Retry-After"
HEADER_AUTHORIZATION: Final = "Authorization"
"""`Bearer <key>` on GET /metrics, as Prometheus scrapers send credentials."""

# -- the root page --
# GET / answers a browser with a page and a client whose Accept header prefers
# it with JSON naming the console, the docs and the OpenAPI document.
HEADER_ACCEPT: Final = "Accept"
MEDIA_JSON: Final = "application/json"


class ErrorCode:
    """The `error.code` values of the error envelope."""

    INVALID_JSON: Final = "invalid_json"
    INVALID_REQUEST: Final = "invalid_request"
    UNAUTHORIZED: Final = "unauthorized"
    INVALID_SIGNATURE: Final = "invalid_signature"
    FORBIDDEN: Final = "forbidden"
    NOT_FOUND: Final = "not_found"
    LEASE_LOST: Final = "lease_lost"
    CONFLICT: Final = "conflict"
    PAYLOAD_TOO_LARGE: Final = "payload_too_large"
    RATE_LIMITED: Final = "rate_limited"
    BUSY: Final = "busy"
    # -- HTTP edges --
    REQUEST_TIMEOUT: Final = "request_timeout"
    URI_TOO_LONG: Final = "uri_too_long"
    HEADERS_TOO_LARGE: Final = "headers_too_large"
    INSUFFICIENT_STORAGE: Final = "insufficient_storage"
    INTERNAL_ERROR: Final = "internal_error"


# Environment variables, read only at the edges (CLI, SDK defaults, server run).
ENV_URL: Final = "INTENT_BUS_URL"
ENV_API_KEY: Final = "INTENT_BUS_API_KEY"
ENV_API_KEY_LEGACY: Final = "INTENT_API_KEY"
"""The seed SDK's name for the key; still read, after `ENV_API_KEY`."""
ENV_ADMIN_KEY: Final = "INTENT_BUS_ADMIN_KEY"
ENV_METRICS_KEY: Final = "INTENT_BUS_METRICS_KEY"
"""A secret that lets a scraper see per-namespace series on /metrics."""
ENV_KEK: Final = "INTENT_BUS_KEK"
"""The server's key-encryption key itself (base64url of 32 bytes)."""
ENV_KEK_FILE: Final = "INTENT_BUS_KEK_FILE"
"""A file holding the server's key-encryption key."""
DEFAULT_URL: Final = "http://127.0.0.1:8000"

# Intent states. A new state is added here and nowhere else by hand: the server's
# Literal types, the metrics and the SDK's checks all read `STATUSES`.
STATUS_OPEN: Final = "open"
STATUS_CLAIMED: Final = "claimed"
STATUS_FULFILLED: Final = "fulfilled"
STATUS_DEAD: Final = "dead"
STATUS_CANCELLED: Final = "cancelled"
"""Terminal: cancelled by its publisher (or the admin) before it was done."""
STATUSES: Final = (
    STATUS_OPEN,
    STATUS_CLAIMED,
    STATUS_FULFILLED,
    STATUS_DEAD,
    STATUS_CANCELLED,
)
TERMINAL_STATUSES: Final = frozenset({STATUS_FULFILLED, STATUS_DEAD, STATUS_CANCELLED})

# -- control writes: the timeline's event types (GET /intents/<id>/events).
EVENT_PUBLISHED: Final = "published"
EVENT_CLAIMED: Final = "claimed"
EVENT_FAILED: Final = "failed"
EVENT_LEASE_EXPIRED: Final = "lease_expired"
EVENT_REQUEUED: Final = "requeued"
EVENT_CANCEL_REQUESTED: Final = "cancel_requested"
EVENT_CANCELLED: Final = "cancelled"
EVENT_FULFILLED: Final = "fulfilled"
EVENT_DEAD: Final = "dead"
EVENT_TYPES: Final = (
    EVENT_PUBLISHED,
    EVENT_CLAIMED,
    EVENT_FAILED,
    EVENT_LEASE_EXPIRED,
    EVENT_REQUEUED,
    EVENT_CANCEL_REQUESTED,
    EVENT_CANCELLED,
    EVENT_FULFILLED,
    EVENT_DEAD,
)
"""Written by the storage triggers (migration 0003), which spell them out."""

VISIBILITY_PRIVATE: Final = "private"
VISIBILITY_PUBLIC: Final = "public"
VISIBILITIES: Final = (VISIBILITY_PRIVATE, VISIBILITY_PUBLIC)
RESULT_TYPE_JSON: Final = "json"
RESULT_TYPE_TEXT: Final = "text"
RESULT_TYPES: Final = (RESULT_TYPE_JSON, RESULT_TYPE_TEXT)
ROLE_ADMIN: Final = "admin"
ROLE_TENANT: Final = "tenant"
ROLES: Final = (ROLE_ADMIN, ROLE_TENANT)

# -- reserved owner --
ADMIN_OWNER: Final = "admin"
"""The owner of every admin key (and of what admin keys publish and store). It is
reserved: POST /admin/keys with this owner is 400 invalid_request, and the
database refuses a tenant key with it, so no tenant ever shares the admin's data."""

# Field names of the intent as the wire shows it. The SDK models, the server's
# Structs and the storage records are pinned to these lists by a test, so a field
# added in one place and not the others fails at once.
PUBLISH_FIELDS: Final = (
    "goal",
    "payload",
    "namespace",
    "visibility",
    "priority",
    "delay",
    "max_attempts",
    "backoff_base",
    "target_worker",
    "required_capability",
    "concurrency_key",
)
"""Body fields of POST /intent."""
STATUS_FIELDS: Final = (
    "id",
    "status",
    "goal",
    "namespace",
    "claim_attempts",
    "max_attempts",
    "priority",
    "run_at",
    "created_at",
    "error",
    "visibility",
    "target_worker",
    "required_capability",
    "lease_expires_at",
    "completed_at",
    "progress",
)
"""What GET /status answers (and POST /intent, GET /result extend). `progress`
is absent unless the lease holder reported one (see PROGRESS_TEXT_MAX_CHARS)."""
RESULT_FIELDS: Final = (*STATUS_FIELDS, "result", "result_type")
"""What GET /result answers for a terminal intent."""
CLAIM_FIELDS: Final = (
    "id",
    "goal",
    "payload",
    "claim_token",
    "namespace",
    "claim_attempts",
    "priority",
    "claim_timeout",
    "target_worker",
    "required_capability",
    "max_attempts",
    "lease_expires_at",
    "created_at",
    "checkpoint",
)
"""What POST /claim answers: the leased intent and its token. `checkpoint` is
absent unless an earlier lease holder saved one (see CHECKPOINT_MAX_BYTES)."""

# Field limits and defaults of POST /intent.
DEFAULT_NAMESPACE: Final = "default"
GOAL_MAX_CHARS: Final = 128
NAMESPACE_MAX_CHARS: Final = 128
TARGET_MAX_CHARS: Final = 64
CAPABILITY_MAX_CHARS: Final = 64
CONCURRENCY_KEY_MAX_CHARS: Final = 128
"""`concurrency_key` of POST /intent (e.g. a customer id; see LIMIT_FIELDS)."""
WORKER_ID_MAX_CHARS: Final = 128
IDEMPOTENCY_KEY_MAX_CHARS: Final = 256
OWNER_MAX_CHARS: Final = 128
"""A key's owner (the tenant), and so also the `publisher` claim filter."""
CLAIM_TOKEN_MAX_CHARS: Final = 256
INTENT_ID_MAX_CHARS: Final = 256
PRIORITY_MIN: Final = 0
PRIORITY_MAX: Final = 1000
DEFAULT_PRIORITY: Final = 100
DEFAULT_MAX_ATTEMPTS: Final = 3
MAX_ATTEMPTS_LIMIT: Final = 100
DEFAULT_BACKOFF_BASE: Final = 5.0
MAX_DELAY_SECONDS: Final = 365 * 24 * 3600.0

# Other limits.
ERROR_MAX_CHARS: Final = 2000
KV_KEY_MAX_CHARS: Final = 256
KV_DEFAULT_TTL: Final = 600
KV_MAX_TTL: Final = 86400
MAX_LEASE_SECONDS: Final = 3600
PROGRESS_TEXT_MAX_CHARS: Final = 200
"""`progress` of POST /extend_claim: a number from PROGRESS_MIN to PROGRESS_MAX,
or a text of at most this many characters; anything else is 400 invalid_request."""
PROGRESS_MIN: Final = 0.0
PROGRESS_MAX: Final = 1.0
CHECKPOINT_MAX_BYTES: Final = 64 * 1024
"""`checkpoint` of POST /extend_claim: any JSON value of at most this many bytes
(as the server re-encodes it, compact); larger is 413 payload_too_large."""
DEFAULT_CLAIM_TIMEOUT: Final = 60
MAX_WAIT_SECONDS: Final = 30.0
"""`wait` of POST /claim: 0 < wait <= MAX_WAIT_SECONDS; absent means no wait."""
DEAD_LIST_DEFAULT: Final = 100
DEAD_LIST_MAX: Final = 1000
"""`limit` of GET /admin/dead: 1..DEAD_LIST_MAX, DEAD_LIST_DEFAULT when absent."""
MAX_BODY_BYTES: Final = 256 * 1024
# -- batches (POST /intents, POST /claim?max=N, POST /complete) --
PUBLISH_BATCH_MAX: Final = 1000
"""Intents one POST /intents may publish (1..PUBLISH_BATCH_MAX)."""
CLAIM_BATCH_MAX: Final = 100
"""`max` of POST /claim: 1..CLAIM_BATCH_MAX leases in one answer."""
COMPLETE_BATCH_MAX: Final = 1000
"""Completions one POST /complete may carry (1..COMPLETE_BATCH_MAX)."""
OUTCOME_CREATED: Final = "created"
OUTCOME_REPLAYED: Final = "replayed"
OUTCOME_ERROR: Final = "error"
PUBLISH_OUTCOMES: Final = (OUTCOME_CREATED, OUTCOME_REPLAYED, OUTCOME_ERROR)
"""What became of one item of POST /intents."""
COMPLETION_FULFILL: Final = "fulfill"
COMPLETION_FAIL: Final = "fail"
COMPLETION_KINDS: Final = (COMPLETION_FULFILL, COMPLETION_FAIL)
"""What one item of POST /complete does with its lease."""
MAX_JSON_DEPTH: Final = 64
SIGNATURE_WINDOW_SECONDS: Final = 300
TENANT_KEY_PREFIX: Final = "tk_"
ADMIN_KEY_PREFIX: Final = "ak_"

# -- HTTP edges --
MAX_TARGET_BYTES: Final = 8 * 1024
"""Request target (path and query) as sent; longer is 414 uri_too_long."""
MAX_HEAD_BYTES: Final = 32 * 1024
"""Request line and headers together; larger is 431 headers_too_large."""
MAX_HEADER_COUNT: Final = 100
"""Headers in one request; more is 431 headers_too_large."""
REQUEST_TIMEOUT_SECONDS: Final = 10.0
"""Default time a request's head, and then its body, may take to arrive (408)."""
DEFAULT_MAX_CONNECTIONS: Final = 4096
"""Default cap on open connections per server process (more: 503 busy)."""

# -- input edges --
TEXT_PATTERN: Final = "^[^\\x00]*$"
"""Every text input the server stores or looks up (fields, query parameters,
header values) matches this: PostgreSQL text cannot hold NUL, so a NUL is
refused (400 invalid_request) on every backend alike."""

# -- schedules ----------------------------------------------------------------
SCHEDULE_NAME_MAX_CHARS: Final = 128
SCHEDULE_NAME_PATTERN: Final = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
"""A schedule's name: 1..128 of A-Z a-z 0-9 . _ -, not starting with . or -."""
CRON_MAX_CHARS: Final = 256
TIMEZONE_MAX_CHARS: Final = 64
DEFAULT_TIMEZONE: Final = "UTC"
OVERLAP_ALLOW: Final = "allow"
OVERLAP_SKIP: Final = "skip"
OVERLAPS: Final = (OVERLAP_ALLOW, OVERLAP_SKIP)
CATCH_UP_NONE: Final = "none"
CATCH_UP_LATEST: Final = "latest"
CATCH_UP_ALL: Final = "all"
CATCH_UPS: Final = (CATCH_UP_NONE, CATCH_UP_LATEST, CATCH_UP_ALL)
SCHEDULE_CATCH_UP_MAX: Final = 100
"""catch_up "all" publishes at most this many missed ticks per schedule (the latest)."""
SCHEDULE_GRACE_SECONDS: Final = 60.0
"""A tick fired later than this after its time was missed (catch_up decides)."""
SCHEDULE_NEXT_FIRES: Final = 5
"""How many upcoming fire times GET /schedules/{name} shows."""
SCHEDULE_FIELDS: Final = (
    "name",
    "owner",
    "cron",
    "timezone",
    "intent",
    "overlap",
    "catch_up",
    "paused",
    "next_fire_at",
    "next_fire_times",
    "last_scheduled_for",
    "last_intent_id",
    "created_at",
    "updated_at",
)
"""What GET /schedules/{name} answers (and PUT, and each item of GET /schedules)."""
TICK_FIELDS: Final = ("schedule", "owner", "scheduled_for", "intent_id", "fired_at")
"""What POST /schedules/{name}/trigger answers: the tick it published."""


_UNRESERVED: Final = re.compile(r"[A-Za-z0-9_.~-]*")
"""RFC 3986 unreserved characters: what `quote` leaves as it is with safe=""."""


def _encode(text: str) -> str:
    # Most names and values (goals, namespaces, numbers) need no escaping:
    # matching them is several times cheaper than quote(), on every signed call.
    if _UNRESERVED.fullmatch(text):
        return text
    return quote(text, safe="")


def canonical_path(path: str, query: Iterable[tuple[str, str]] = ()) -> str:
    """Return the path part of the string that a request's signature covers.

    `query` holds decoded (key, value) pairs; they are sorted by key, then value,
    and re-encoded, so the signer and the verifier agree however the query string
    was spelled on the wire.
    """
    pairs = sorted(query)
    if not pairs:
        return path
    encoded = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    return f"{path}?{encoded}"


def signing_bytes(
    method: str, path: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    """The exact bytes that `X-Signature` is the HMAC-SHA256 of."""
    head = f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n"
    return head.encode() + body


def sign(
    api_key: str, method: str, path: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """Lowercase hex HMAC-SHA256 of a request, keyed with the API key.

    `path` is the canonical path (see `canonical_path`).
    """
    mac = keyed_mac(api_key)
    mac.update(signing_bytes(method, path, timestamp, nonce, body))
    return mac.hexdigest()


class Mac(Protocol):
    """An HMAC in progress (what `keyed_mac` returns)."""

    def copy(self) -> Mac: ...

    def update(self, msg: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def keyed_mac(api_key: str) -> Mac:
    """The HMAC that signs this key's requests, before any message: signers
    and verifiers keep it and sign a `copy()`, which skips setting up the key
    and looking up the digest, the larger part of signing a small request."""
    mac = hmac.new(api_key.encode(), digestmod=hashlib.sha256)
    # CPython's `hmac.HMAC` wraps the C object of its hash library in Python
    # methods; the object itself copies, updates and digests a small request
    # in a quarter less time (3.2 -> 2.4 us in a hot loop). Any other `hmac`
    # keeps its own object.
    inner: Mac | None = getattr(mac, "_hmac", None)
    return mac if inner is None else inner


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison, so a signature cannot be guessed byte by byte."""
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def version_major(version: str) -> int | None:
    """The major number of an `X-Intent-Version` value, or None if unparsable."""
    head = version.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None


# -- control API: reads (intent search, pauses) ----------------------------------
INTENT_ROW_FIELDS: Final = (*STATUS_FIELDS, "owner", "worker", "cancel_requested")
"""One row of GET /intents (the status view, its tenant and last claimer)."""
INTENT_DETAIL_FIELDS: Final = (
    *INTENT_ROW_FIELDS,
    "payload",
    "result",
    "result_type",
    "progress_at",
    "checkpoint_bytes",
    "concurrency_key",
)
"""What GET /intents/<id> answers: the row plus what was asked and answered,
when the lease holder last reported progress and how large its saved checkpoint
is (null when none), and the `concurrency_key` it was published with (null when
none), which a limit's `max_per_key` counts it by."""
INTENT_LIST_DEFAULT: Final = 50
INTENT_LIST_MAX: Final = 200
"""`limit` of GET /intents: 1..INTENT_LIST_MAX, INTENT_LIST_DEFAULT when absent."""
SEARCH_SCAN_MAX: Final = 1000
"""Rows one GET /intents examines when a filter is not served by an index (the
`error` substring, several statuses, a second equality filter): the page may come
back short, with a `next_cursor` to continue the walk from where it stopped."""
PAUSE_FIELDS: Final = ("namespace", "goal", "owner", "paused_at")
"""One pause, as POST /pause and GET /pauses answer it."""
LIMIT_FIELDS: Final = (
    "namespace",
    "goal",
    "owner",
    "max_running",
    "max_per_key",
    "running",
    "updated_at",
)
"""One concurrency limit, as PUT /limits and GET /limits answer it: at most
`max_running` of the owner's intents of that namespace and goal are claimed at
once, and at most `max_per_key` of them share a `concurrency_key` (null: no
per-key limit). `running` is how many are claimed now."""
LIMIT_MAX_RUNNING: Final = 100_000
"""Upper bound of `max_running` and `max_per_key` (both at least 1)."""
EXPLAIN_CONCURRENCY_LIMIT: Final = "concurrency_limit"
"""The explain reason code of an intent a concurrency limit holds back."""
WORKER_STATES: Final = ("live", "idle", "gone")
"""GET /workers: seen within 60 s (or holding a lease), within 10 min, older."""
WORKER_LIVE_SECONDS: Final = 60
WORKER_IDLE_SECONDS: Final = 600
WORKER_KEEP_SECONDS: Final = 86400
"""A worker not seen for this long leaves GET /workers."""
HEADER_USER_AGENT: Final = "User-Agent"
