"""Typed views of the control API's answers: search, timeline, explain, workers,
pauses, bulk actions and stats.

Built like ``models``: frozen, slotted dataclasses whose ``from_json`` checks
every known field (``IntentBusProtocolError`` naming the first wrong one) and
keeps unknown fields in ``extra``. Lists arrive as tuples and objects as
read-only mappings, so a model can be shared between threads as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from intent_bus import protocol
from intent_bus.sdk.exceptions import IntentBusProtocolError
from intent_bus.sdk.models import (
    STATUS_REQUIRED,
    IntentStatus,
    Spec,
    fields_of,
    spec_of,
)

__all__ = [
    "BulkResult",
    "ClaimExplanation",
    "ClaimGroup",
    "Explanation",
    "IntentDetail",
    "IntentEvent",
    "IntentPage",
    "IntentRow",
    "QueueOverview",
    "QueuePause",
    "Reason",
    "StatsGroup",
    "WorkerInfo",
]

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def _extra() -> Mapping[str, Any]:
    return _EMPTY


def _items(model: str, name: str, data: Any) -> list[Any]:
    """The list under `name` in an answer object."""
    if not isinstance(data, dict):
        raise IntentBusProtocolError(
            f"server sent an invalid {model}: expected a JSON object, "
            f"got {type(data).__name__}"
        )
    items = data.get(name)
    if not isinstance(items, list):
        raise IntentBusProtocolError(
            f"server sent an invalid {model}: field {name!r} must be a list"
        )
    return items


# ---------------------------------------------------------------- intents

_ROW_SPEC: Final = spec_of(protocol.INTENT_ROW_FIELDS, STATUS_REQUIRED)
_DETAIL_SPEC: Final = spec_of(protocol.INTENT_DETAIL_FIELDS, STATUS_REQUIRED)


@dataclass(frozen=True, slots=True)
class IntentRow(IntentStatus):
    """An intent as the search lists it: its status view plus its tenant
    (``owner``), the worker that claimed it last (``worker``, None if none
    did) and whether a cancel was asked while it ran (``cancel_requested``).
    Also what ``cancel`` and ``requeue_intent`` return. Being an
    ``IntentStatus``, it is accepted wherever an intent id is."""

    owner: str | None = None
    worker: str | None = None
    cancel_requested: bool = False

    @classmethod
    def from_json(cls, data: Any) -> IntentRow:
        return cls(**fields_of("intent row", _ROW_SPEC, data))


@dataclass(frozen=True, slots=True)
class IntentDetail(IntentRow):
    """One intent in full (``get_intent``): the row plus the ``payload`` it
    was published with and, once fulfilled, its ``result`` and
    ``result_type``; ``progress_at`` is when a worker last reported progress,
    ``checkpoint_bytes`` the size of the checkpoint the next claim would
    get (None: nothing saved) and ``concurrency_key`` the key it was
    published with, which a limit's ``max_per_key`` counts (None: none, or a
    server that does not show it)."""

    payload: Any = None
    result: Any = None
    result_type: str | None = None
    progress_at: float | None = None
    checkpoint_bytes: int | None = None
    concurrency_key: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> IntentDetail:
        return cls(**fields_of("intent detail", _DETAIL_SPEC, data))


@dataclass(frozen=True, slots=True)
class IntentPage:
    """One page of ``list_intents``, newest first. Pass ``next_cursor`` back
    as ``cursor`` for the next page; None means this was the last."""

    intents: tuple[IntentRow, ...]
    next_cursor: str | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> IntentPage:
        rows = tuple(
            IntentRow.from_json(i) for i in _items("intent page", "intents", data)
        )
        spec: Spec = (("intents", "any", True), ("next_cursor", "opt_str", False))
        kwargs = fields_of("intent page", spec, data)
        kwargs["intents"] = rows
        return cls(**kwargs)


_EVENT_SPEC: Final[Spec] = (
    ("type", "str", True),
    ("at", "num", True),
    ("worker", "opt_str", False),
    ("attempt", "opt_int", False),
    ("error", "opt_str", False),
    ("detail", "any", False),
)


@dataclass(frozen=True, slots=True)
class IntentEvent:
    """One thing that happened to an intent (``intent_events``), at ``at``
    (Unix seconds). ``type`` is ``published``, ``claimed`` (``worker``,
    ``attempt``), ``failed`` (``error``, ``attempt``), ``lease_expired``,
    ``requeued``, ``cancel_requested``, ``cancelled``, ``fulfilled``
    (``worker``) or ``dead`` (``error``)."""

    type: str
    at: float
    worker: str | None = None
    attempt: int | None = None
    error: str | None = None
    detail: Any = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> IntentEvent:
        return cls(**fields_of("intent event", _EVENT_SPEC, data))


# ---------------------------------------------------------------- explain

_REASON_SPEC: Final[Spec] = (
    ("code", "str", True),
    ("message", "str", True),
    ("details", "object", False),
)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an intent is (not) running: a stable ``code`` (see docs/PROTOCOL.md),
    a sentence for people (``message``) and the facts behind it (``details``)."""

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=_extra)
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Reason:
        return cls(**fields_of("explain reason", _REASON_SPEC, data))


@dataclass(frozen=True, slots=True)
class Explanation:
    """What ``explain`` answers: whether a worker could claim the intent now
    and every reason it cannot (or, when terminal, how it ended). ``schedule``
    is ``{"name", "scheduled_for"}`` when a schedule's tick published it."""

    id: str
    status: str
    claimable_now: bool
    reasons: tuple[Reason, ...]
    schedule: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Explanation:
        reasons = tuple(
            Reason.from_json(r) for r in _items("explanation", "reasons", data)
        )
        spec: Spec = (
            ("id", "str", True),
            ("status", "str", True),
            ("claimable_now", "bool", True),
            ("reasons", "any", True),
            ("schedule", "opt_object", False),
        )
        kwargs = fields_of("explanation", spec, data)
        kwargs["reasons"] = reasons
        return cls(**kwargs)


_GROUP_SPEC: Final[Spec] = (
    ("code", "str", True),
    ("message", "str", True),
    ("count", "int", True),
    ("details", "object", False),
)


@dataclass(frozen=True, slots=True)
class ClaimGroup:
    """``count`` open intents that one reason keeps from this worker."""

    code: str
    message: str
    count: int
    details: Mapping[str, Any] = field(default_factory=_extra)
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> ClaimGroup:
        return cls(**fields_of("claim group", _GROUP_SPEC, data))


@dataclass(frozen=True, slots=True)
class ClaimExplanation:
    """What ``explain_claim`` answers: how many intents this worker could claim
    now, and the groups it cannot claim, each with its reason."""

    claimable: int
    groups: tuple[ClaimGroup, ...]
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> ClaimExplanation:
        groups = tuple(
            ClaimGroup.from_json(g) for g in _items("claim explanation", "groups", data)
        )
        spec: Spec = (("claimable", "int", True), ("groups", "any", True))
        kwargs = fields_of("claim explanation", spec, data)
        kwargs["groups"] = groups
        return cls(**kwargs)


# ---------------------------------------------------------------- workers, pauses

_WORKER_SPEC: Final[Spec] = (
    ("worker_id", "str", True),
    ("owner", "opt_str", False),
    ("state", "str", True),
    ("capabilities", "strs", False),
    ("goals", "strs", False),
    ("namespaces", "strs", False),
    ("in_flight", "int", False),
    ("last_seen", "opt_num", False),
    ("client_version", "opt_str", False),
)


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A worker the server has seen claim or extend (``list_workers``).

    ``state`` is one of ``protocol.WORKER_STATES``: ``live`` (seen within a
    minute, a waiting long-poll included, or holding a lease), ``idle``
    (within ten minutes) or ``gone``; ``in_flight`` counts its leases.
    """

    worker_id: str
    state: str
    owner: str | None = None
    capabilities: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    in_flight: int = 0
    last_seen: float | None = None
    client_version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> WorkerInfo:
        return cls(**fields_of("worker", _WORKER_SPEC, data))


_PAUSE_SPEC: Final[Spec] = (
    ("namespace", "str", True),
    ("goal", "opt_str", False),
    ("owner", "opt_str", False),
    ("paused_at", "opt_num", False),
)


@dataclass(frozen=True, slots=True)
class QueuePause:
    """A pause in force (``pause``, ``list_pauses``): claims skip the tenant's
    intents in ``namespace`` (of ``goal`` only, unless it is None) until
    resumed; publishing still works."""

    namespace: str
    goal: str | None = None
    owner: str | None = None
    paused_at: float | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> QueuePause:
        return cls(**fields_of("pause", _PAUSE_SPEC, data))


_BULK_SPEC: Final[Spec] = (
    ("matched", "int", True),
    ("requeued", "opt_int", False),
    ("cancelled", "opt_int", False),
)


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What ``requeue_many`` / ``cancel_many`` did: ``matched`` intents fit the
    filter, and ``requeued`` (or ``cancelled``) of them changed; with
    ``dry_run`` nothing changed, so that count is 0. ``changed`` is whichever
    of the two the server sent."""

    matched: int
    requeued: int | None = None
    cancelled: int | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @property
    def changed(self) -> int:
        return self.requeued if self.requeued is not None else self.cancelled or 0

    @classmethod
    def from_json(cls, data: Any) -> BulkResult:
        return cls(**fields_of("bulk action reply", _BULK_SPEC, data))


# ---------------------------------------------------------------- stats

_STATS_GROUP_SPEC: Final[Spec] = (
    ("owner", "opt_str", False),
    ("namespace", "str", True),
    ("goal", "str", True),
    ("counts", "object", True),
    ("oldest_open_age", "opt_num", False),
    ("completions_per_minute", "any", False),
    ("paused", "bool", False),
)


@dataclass(frozen=True, slots=True)
class StatsGroup:
    """The figures of one (tenant, namespace, goal): intents per status
    (``counts``), the age in seconds of the oldest waiting one (None when
    none waits), completions in each of the last 60 minutes (oldest first,
    the current minute last) and whether it is paused."""

    namespace: str
    goal: str
    counts: Mapping[str, int]
    owner: str | None = None
    oldest_open_age: float | None = None
    completions_per_minute: tuple[float, ...] = ()
    paused: bool = False
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> StatsGroup:
        kwargs = fields_of("stats group", _STATS_GROUP_SPEC, data)
        for status, n in kwargs["counts"].items():
            if not isinstance(n, int) or isinstance(n, bool):
                raise IntentBusProtocolError(
                    f"server sent an invalid stats group: count of {status!r} "
                    f"must be an integer, got {n!r:.40}"
                )
        rates = kwargs.get("completions_per_minute", [])
        if not isinstance(rates, list) or not all(
            isinstance(r, int | float) and not isinstance(r, bool) for r in rates
        ):
            raise IntentBusProtocolError(
                "server sent an invalid stats group: field "
                "'completions_per_minute' must be a list of numbers"
            )
        kwargs["completions_per_minute"] = tuple(float(r) for r in rates)
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class QueueOverview:
    """What ``stats`` answers: one ``StatsGroup`` per (tenant, namespace,
    goal) and when the server computed them (``generated_at``)."""

    groups: tuple[StatsGroup, ...]
    generated_at: float | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> QueueOverview:
        groups = tuple(StatsGroup.from_json(g) for g in _items("stats", "groups", data))
        spec: Spec = (("groups", "any", True), ("generated_at", "opt_num", False))
        kwargs = fields_of("stats", spec, data)
        kwargs["groups"] = groups
        return cls(**kwargs)
