"""Inputs and answers of the control API's reads (issue 9): intent search,
one intent in full, and pauses. Limits come from `protocol`, like `schemas.py`.

An empty text filter (`goal=`) means no filter, as the dead list's do, so a
form submitted with blank fields searches everything.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from msgspec import Meta, Raw, Struct, field

from intent_bus import protocol
from intent_bus.server.schemas import Goal, Namespace, StatusName, StatusView

CURSOR_PREFIX: Final = "v1."
CURSOR_PATTERN: Final = r"^v1\.[0-9]{1,18}$"
"""A search cursor: a position in creation order. At most 18 digits, so it
always fits the database's 64-bit sequence."""


def _doc(text: str) -> Meta:
    return Meta(description=text)


OwnerFilter = Annotated[
    str,
    Meta(max_length=protocol.OWNER_MAX_CHARS),
    _doc("Admin only: this tenant's intents"),
]
ListLimit = Annotated[
    int,
    Meta(ge=1, le=protocol.INTENT_LIST_MAX),
    _doc(f"Page size (default {protocol.INTENT_LIST_DEFAULT})"),
]


class SearchParams(Struct, kw_only=True):
    """Query of GET /intents; `status` may repeat."""

    status: Annotated[list[StatusName], _doc("Any of these statuses")] = field(
        default_factory=list
    )
    goal: (
        Annotated[str, Meta(max_length=protocol.GOAL_MAX_CHARS), _doc("This goal")]
        | None
    ) = None
    namespace: (
        Annotated[
            str, Meta(max_length=protocol.NAMESPACE_MAX_CHARS), _doc("This namespace")
        ]
        | None
    ) = None
    worker: (
        Annotated[
            str,
            Meta(max_length=protocol.WORKER_ID_MAX_CHARS),
            _doc("Last claimed by this X-Worker-ID"),
        ]
        | None
    ) = None
    error: (
        Annotated[
            str,
            Meta(max_length=protocol.ERROR_MAX_CHARS),
            _doc("Case-insensitive substring of the last error"),
        ]
        | None
    ) = None
    id: (
        Annotated[
            str,
            Meta(max_length=protocol.INTENT_ID_MAX_CHARS),
            _doc("This id, or ids starting with it"),
        ]
        | None
    ) = None
    owner: OwnerFilter | None = None
    limit: ListLimit = protocol.INTENT_LIST_DEFAULT
    cursor: (
        Annotated[
            str,
            Meta(pattern=CURSOR_PATTERN),
            _doc("next_cursor of the previous page"),
        ]
        | None
    ) = None


class PauseRequest(Struct, kw_only=True):
    """Body of POST /pause and POST /resume; no goal = the whole namespace."""

    namespace: Namespace
    goal: Goal | None = None
    owner: (
        Annotated[
            str,
            Meta(min_length=1, max_length=protocol.OWNER_MAX_CHARS),
            _doc("Admin only: whose intents (default: the admin's own)"),
        ]
        | None
    ) = None


class PauseListParams(Struct, kw_only=True):
    """Query of GET /pauses."""

    owner: OwnerFilter | None = None


class IntentRow(StatusView, kw_only=True):
    """One intent as the search lists it: the status view, its tenant, the
    X-Worker-ID of its last claim, and whether a cancel was asked for."""

    owner: str
    worker: str | None
    cancel_requested: bool


class IntentDetail(IntentRow, kw_only=True):
    """GET /intents/{id}: the row with what was asked and answered, and the
    concurrency_key a limit counts it by (not in the row nor GET /status)."""

    payload: Raw
    result: Raw | None
    result_type: str | None
    progress_at: float | None
    checkpoint_bytes: int | None
    concurrency_key: str | None


class IntentList(Struct, kw_only=True):
    intents: list[IntentRow]
    next_cursor: str | None


class PauseView(Struct, kw_only=True):
    namespace: str
    goal: str | None
    owner: str
    paused_at: float


class PauseList(Struct, kw_only=True):
    pauses: list[PauseView]


class Resumed(Struct, kw_only=True):
    """Whether there was such a pause to lift."""

    resumed: bool


class StatsParams(Struct, kw_only=True):
    """Query of GET /stats."""

    owner: OwnerFilter | None = None


class GroupView(Struct, kw_only=True):
    """One (owner, namespace, goal): intents per status, seconds since the
    oldest open intent was created, intents fulfilled per minute over the last
    hour (oldest first; the last is the current minute), and whether claims of
    it are paused."""

    owner: str
    namespace: str
    goal: str
    counts: dict[str, int]
    oldest_open_age: float | None
    completions_per_minute: list[int]
    paused: bool


class GroupStatsView(Struct, kw_only=True):
    groups: list[GroupView]
    generated_at: float


class WorkerListParams(Struct, kw_only=True):
    """Query of GET /workers."""

    owner: OwnerFilter | None = None


class WorkerView(Struct, kw_only=True):
    """A worker of the registry: `owner` is the tenant whose key it claims
    with; `in_flight` counts its live leases."""

    worker_id: str
    owner: str
    state: str
    capabilities: list[str]
    goals: list[str]
    namespaces: list[str]
    in_flight: int
    last_seen: float
    client_version: str | None


class WorkerList(Struct, kw_only=True):
    workers: list[WorkerView]


class ExplainReason(Struct, kw_only=True):
    """A stable `code`, a sentence for people, and the facts behind it."""

    code: str
    message: str
    details: dict[str, Any]


class ScheduleOrigin(Struct, kw_only=True):
    """The schedule tick that published an intent: the schedule's name and the
    time the tick was scheduled for (a trigger's is the time of the trigger)."""

    name: str
    scheduled_for: float


class ExplainView(Struct, kw_only=True):
    """GET /explain/{id}: whether a matching worker's claim would take it now
    (open, due, not paused), and every reason it is not running. `schedule`
    names the tick that published it, or is null for a plain publish."""

    id: str
    status: StatusName
    claimable_now: bool
    reasons: list[ExplainReason]
    schedule: ScheduleOrigin | None = None


class ClaimGroup(Struct, kw_only=True):
    """Intents a claim would skip for one reason (`code`)."""

    code: str
    message: str
    count: int
    details: dict[str, Any]


class ClaimExplainView(Struct, kw_only=True):
    """GET /explain/claim: how many intents this claim could take now, and
    why the others would be skipped (over a bounded sample)."""

    claimable: int
    groups: list[ClaimGroup]
