"""The records that cross the storage seam, and how key secrets are kept.

This module owns the plain data the `Store` protocol (in `base`) takes and
returns: frozen dataclasses with no behaviour beyond construction, so backends,
the server and tests share one definition of each. `base` re-exports every name
here, so `from intent_bus.storage.base import Intent` keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["admin", "tenant"]
IntentStatusName = Literal["open", "claimed", "fulfilled", "dead", "cancelled"]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A credential. `owner` names the tenant; all keys of one owner share it."""

    id: str
    secret: str
    owner: str
    role: Role
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class NewIntent:
    """An intent as the server validated it, ready to be inserted as `open`."""

    id: str
    owner: str
    goal: str
    payload: bytes
    namespace: str
    visibility: Literal["private", "public"]
    priority: int
    run_at: float
    created_at: float
    max_attempts: int
    backoff_base: float
    target_worker: str | None = None
    required_capability: str | None = None
    concurrency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """An intent as stored, with its lifecycle fields."""

    id: str
    owner: str
    goal: str
    payload: bytes
    namespace: str
    visibility: Literal["private", "public"]
    priority: int
    run_at: float
    created_at: float
    max_attempts: int
    backoff_base: float
    target_worker: str | None
    required_capability: str | None
    status: IntentStatusName
    claim_attempts: int
    claim_token: str | None
    lease_expires_at: float | None
    worker_id: str | None
    result: bytes | None
    result_type: str | None
    error: str | None
    completed_at: float | None
    updated_at: float
    lease_owner: str | None = None
    """The tenant whose key took the current (or last) lease."""
    cancel_requested: bool = False
    done_kind: str | None = None
    """`fulfill` or `fail`: what the last completing token did, for its retries."""
    concurrency_key: str | None = None
    """Claimed intents sharing it count against a limit's `max_per_key`."""


@dataclass(frozen=True, slots=True)
class Work:
    """Who could take an intent that just became claimable: exactly the fields
    a claim filters on, so a wake-up can go to a waiter that would get it."""

    owner: str
    namespace: str
    goal: str
    visibility: Literal["private", "public"]
    target_worker: str | None = None
    required_capability: str | None = None


def work_of(intent: NewIntent | Intent) -> Work:
    """The wake-up an intent that became claimable calls for."""
    return Work(
        owner=intent.owner,
        namespace=intent.namespace,
        goal=intent.goal,
        visibility=intent.visibility,
        target_worker=intent.target_worker,
        required_capability=intent.required_capability,
    )


@dataclass(frozen=True, slots=True)
class Idempotency:
    """What a publish with an `Idempotency-Key` must record beside its intent.

    `response` is the exact body of the first 201, replayed verbatim on a retry.
    """

    key_id: str
    key: str
    body_hash: str
    status_code: int
    response: bytes


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response recorded for an idempotency key, to be replayed as it was."""

    status_code: int
    body: bytes


@dataclass(frozen=True, slots=True)
class ClaimQuery:
    """Who is claiming and which intents they may take.

    A private intent is visible to `owner` in `namespace` only; a public one to
    anybody in any namespace. `publisher`, when set, narrows to that owner's
    intents. Targeted and capability-bound intents need a matching worker.
    """

    owner: str
    namespace: str
    goal: str | None = None
    publisher: str | None = None
    worker_id: str | None = None
    capabilities: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Lease:
    """The lease a successful claim grants."""

    claim_token: str
    expires_at: float
    worker_id: str | None


@dataclass(frozen=True, slots=True)
class Poll:
    """What one claim attempt found: the leased intent, or, when none was
    eligible, the earliest future run_at the claimer could take (None when
    nothing is scheduled), so the caller knows how long to wait."""

    intent: Intent | None
    next_due: float | None = None
    checkpoint: bytes | None = None
    """The checkpoint an earlier lease holder of `intent` saved (JSON), if any."""


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """What a lease holder reports with a lease extension, as JSON bytes the
    server validated; None leaves the saved value as it is."""

    progress: bytes | None = None
    checkpoint: bytes | None = None


@dataclass(frozen=True, slots=True)
class IntentProgress:
    """What an intent's lease holders last reported, and when (`updated_at`)."""

    progress: bytes | None
    checkpoint: bytes | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts of intents by status, overall and per namespace."""

    by_status: dict[str, int]
    by_namespace: dict[str, dict[str, int]] = field(default_factory=dict)
    oldest_open_created_at: float | None = None


@dataclass(frozen=True, slots=True)
class IntentEvent:
    """One change in an intent's life; `type` is one of protocol.EVENT_TYPES."""

    type: str
    at: float
    worker: str | None = None
    attempt: int | None = None
    error: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class BulkFilter:
    """Which intents a bulk action takes: those in `status`, of `owner` (any
    when None), optionally of one goal and namespace, and whose last error
    contains `error_contains` (case-insensitive)."""

    status: IntentStatusName
    owner: str | None = None
    goal: str | None = None
    namespace: str | None = None
    error_contains: str | None = None


@dataclass(frozen=True, slots=True)
class IntentPage:
    """One page of a search, newest first; `next_before` is where the next
    page starts (the seq to search below), None at the end of history."""

    intents: list[Intent]
    next_before: int | None


@dataclass(frozen=True, slots=True)
class Pause:
    """Claims skip the owner's open intents in `namespace` (of `goal` only,
    unless goal is None: the whole namespace)."""

    owner: str
    namespace: str
    goal: str | None
    paused_at: float


# (claim_attempts, backoff_base) -> seconds until the next attempt.
RetryDelay = Callable[[int, float], float]


# -- secrets at rest --
class SecretBox(Protocol):
    """How a store keeps API key secrets: it stores `lookup(secret)` (what a
    presented key is found by) and `seal(secret)` (what rotation and checks
    open again), never the secret itself unless the box is `PlainBox`."""

    def lookup(self, secret: str) -> str:
        """The value a key is stored and found under (a keyed hash)."""

    def seal(self, secret: str) -> bytes | None:
        """The secret encrypted; None keeps no sealed copy."""

    def open(self, sealed: bytes) -> str:
        """The secret back from `seal`; raises ValueError if it cannot be opened."""


class PlainBox:
    """Keeps secrets as given: for stores opened without a key-encryption key
    (tests and tools). The server always gives its store a real box."""

    def lookup(self, secret: str) -> str:
        return secret

    def seal(self, secret: str) -> bytes | None:
        return None

    def open(self, sealed: bytes) -> str:
        return sealed.decode()


@dataclass(frozen=True, slots=True)
class Schedule:
    """A tenant's cron schedule. `intent` is the publish body it fires (JSON
    bytes, validated by the server); `next_fire_at` is the next tick not yet
    handled, the one thing firing advances."""

    owner: str
    name: str
    cron: str
    timezone: str
    intent: bytes
    overlap: Literal["allow", "skip"]
    catch_up: Literal["none", "latest", "all"]
    paused: bool
    next_fire_at: float
    created_at: float
    updated_at: float
    last_scheduled_for: float | None = None
    last_intent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """One published tick: the intent schedule `name` published for the time
    `scheduled_for`. (owner, name, scheduled_for) is unique in the store."""

    owner: str
    name: str
    scheduled_for: float
    intent_id: str
    fired_at: float


@dataclass(frozen=True, slots=True)
class Firing:
    """What firing one due schedule publishes, as (scheduled_for, intent)
    pairs oldest first, and the tick it waits for next."""

    intents: Sequence[tuple[float, NewIntent]]
    next_fire_at: float


# (schedule, whether its last published intent is still not terminal) -> Firing.
FirePlan = Callable[[Schedule, bool], Firing]
# (schedule, scheduled_for) -> the intent a manual trigger publishes.
TickIntent = Callable[[Schedule, float], NewIntent]
