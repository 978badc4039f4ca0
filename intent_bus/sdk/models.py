"""The typed views of the server's JSON: immutable, validated on the way in.

Each model is a frozen, slotted dataclass built by ``from_json``, which checks
every known field against the wire contract and raises ``IntentBusProtocolError``
naming the first field that is wrong. Fields the SDK does not know are kept in
``extra`` (read-only), so a newer server never breaks an older client and never
changes a known attribute behind its back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from intent_bus import protocol
from intent_bus.sdk.exceptions import IntentBusProtocolError

__all__ = [
    "ClaimResponse",
    "ClaimedIntent",
    "IntentResult",
    "IntentStatus",
    "Schedule",
    "ScheduleTick",
]

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})

# A field spec is (name, kind, required). Kinds: "str", "opt_str", "int",
# "opt_int", "bool", "num", "opt_num", "strs" (a list of strings, kept as a
# tuple), "object" (kept read-only), "opt_object" (the same, or null), "any".
# Required fields must be present;
# optional ones may be absent or null and then take the dataclass default.
Spec = tuple[tuple[str, str, bool], ...]


def _bad(model: str, name: str, expected: str, value: Any) -> IntentBusProtocolError:
    return IntentBusProtocolError(
        f"server sent an invalid {model}: field {name!r} must be {expected}, "
        f"got {type(value).__name__} {value!r:.80}"
    )


def _check(model: str, name: str, kind: str, value: Any) -> Any:
    if kind == "any":
        return value
    if kind == "progress":
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _bad(model, name, "a number, a string or null", value)
    if kind == "str":
        if isinstance(value, str):
            return value
        raise _bad(model, name, "a string", value)
    if kind == "opt_str":
        if value is None or isinstance(value, str):
            return value
        raise _bad(model, name, "a string or null", value)
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _bad(model, name, "an integer", value)
    if kind == "opt_int":
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise _bad(model, name, "an integer or null", value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise _bad(model, name, "true or false", value)
    if kind == "num":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _bad(model, name, "a number", value)
    if kind == "strs":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise _bad(model, name, "a list of strings", value)
    if kind == "opt_object" and value is None:
        return None
    if kind in ("object", "opt_object"):
        if isinstance(value, dict):
            return MappingProxyType(value)
        raise _bad(model, name, "a JSON object", value)
    if kind == "obj":
        if isinstance(value, dict):
            return MappingProxyType(value)
        raise _bad(model, name, "an object", value)
    if kind == "nums":
        if isinstance(value, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            return tuple(float(v) for v in value)
        raise _bad(model, name, "a list of numbers", value)
    # "opt_num": a time or a duration in seconds.
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise _bad(model, name, "a number or null", value)


def fields_of(model: str, spec: Spec, data: Any) -> dict[str, Any]:
    """Validated keyword arguments for the model, with unknown keys under extra."""
    if not isinstance(data, dict):
        raise IntentBusProtocolError(
            f"server sent an invalid {model}: expected a JSON object, "
            f"got {type(data).__name__}"
        )
    kwargs: dict[str, Any] = {}
    for name, kind, required in spec:
        if name not in data:
            if required:
                raise IntentBusProtocolError(
                    f"server sent an invalid {model}: field {name!r} is missing"
                )
            continue
        value = _check(model, name, kind, data[name])
        if value is not None or required:
            kwargs[name] = value
    known = {name for name, _, _ in spec}
    extra = {k: v for k, v in data.items() if k not in known}
    kwargs["extra"] = MappingProxyType(extra) if extra else _EMPTY
    return kwargs


# What each wire field holds. The field lists themselves are the protocol's
# (STATUS_FIELDS, RESULT_FIELDS, CLAIM_FIELDS): a field added there without a
# kind here fails at import, and tests/unit/test_fields.py pins the dataclasses.
_KINDS: Final[Mapping[str, str]] = {
    "id": "str",
    "status": "str",
    "goal": "str",
    "namespace": "str",
    "payload": "any",
    "claim_token": "str",
    "claim_attempts": "int",
    "max_attempts": "int",
    "priority": "int",
    "claim_timeout": "opt_num",
    "run_at": "opt_num",
    "created_at": "opt_num",
    "lease_expires_at": "opt_num",
    "completed_at": "opt_num",
    "error": "opt_str",
    "visibility": "opt_str",
    "target_worker": "opt_str",
    "required_capability": "opt_str",
    "result": "any",
    "result_type": "opt_str",
    "owner": "opt_str",
    "worker": "opt_str",
    "cancel_requested": "bool",
    "progress": "progress",
    "checkpoint": "any",
    "progress_at": "opt_num",
    "checkpoint_bytes": "opt_int",
    "concurrency_key": "opt_str",
    # schedules
    "name": "str",
    "cron": "str",
    "timezone": "str",
    "intent": "obj",
    "overlap": "str",
    "catch_up": "str",
    "paused": "bool",
    "next_fire_at": "opt_num",
    "next_fire_times": "nums",
    "last_scheduled_for": "opt_num",
    "last_intent_id": "opt_str",
    "updated_at": "opt_num",
    "schedule": "str",
    "scheduled_for": "opt_num",
    "intent_id": "str",
    "fired_at": "opt_num",
}


def spec_of(fields: tuple[str, ...], required: frozenset[str]) -> Spec:
    return tuple((name, _KINDS[name], name in required) for name in fields)


STATUS_REQUIRED: Final = frozenset(
    ("id", "status", "goal", "namespace", "claim_attempts", "max_attempts", "priority")
)
_STATUS_SPEC: Final = spec_of(protocol.STATUS_FIELDS, STATUS_REQUIRED)


@dataclass(frozen=True, slots=True)
class IntentStatus:
    """Where an intent stands: returned by ``publish`` and ``get_status``.

    ``status`` is one of ``protocol.STATUSES`` (``open``, ``claimed``,
    ``fulfilled``, ``dead``, ``cancelled``; kept as given, so a newer server's
    state reads back unchanged); times are Unix seconds.
    """

    id: str
    status: str
    goal: str
    namespace: str
    claim_attempts: int
    max_attempts: int
    priority: int
    run_at: float | None = None
    created_at: float | None = None
    error: str | None = None
    visibility: str | None = None
    target_worker: str | None = None
    required_capability: str | None = None
    lease_expires_at: float | None = None
    completed_at: float | None = None
    progress: float | str | None = None
    """What the worker holding (or last holding) the lease reported: a
    fraction 0..1 or a short text; None when none was reported."""
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: Any) -> IntentStatus:
        return cls(**fields_of("intent status", _STATUS_SPEC, data))


_RESULT_SPEC: Final = spec_of(protocol.RESULT_FIELDS, STATUS_REQUIRED)


@dataclass(frozen=True, slots=True)
class IntentResult:
    """The outcome of a finished intent: ``get_result`` returns it once the intent
    is ``fulfilled`` (``result`` and ``result_type`` set), ``dead`` (``error``
    says why) or ``cancelled`` (``result`` None)."""

    id: str
    status: str
    goal: str
    namespace: str
    claim_attempts: int
    max_attempts: int
    priority: int
    result: Any = None
    result_type: str | None = None
    completed_at: float | None = None
    error: str | None = None
    run_at: float | None = None
    created_at: float | None = None
    visibility: str | None = None
    target_worker: str | None = None
    required_capability: str | None = None
    lease_expires_at: float | None = None
    progress: float | str | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: Any) -> IntentResult:
        return cls(**fields_of("intent result", _RESULT_SPEC, data))


_CLAIM_REQUIRED: Final = frozenset(
    (
        "id",
        "goal",
        "payload",
        "claim_token",
        "namespace",
        "claim_attempts",
        "priority",
        "claim_timeout",
    )
)
_CLAIM_SPEC: Final = spec_of(protocol.CLAIM_FIELDS, _CLAIM_REQUIRED)


@dataclass(frozen=True, slots=True)
class ClaimedIntent:
    """An intent leased to this worker until ``lease_expires_at``.

    Finish it with ``fulfill`` or ``fail`` (the client remembers ``claim_token``),
    or ``extend_claim`` it while working; after ``claim_timeout`` seconds without
    either, the server gives it to someone else.
    """

    id: str
    goal: str
    payload: Any
    claim_token: str
    namespace: str
    claim_attempts: int
    priority: int
    claim_timeout: float | None
    target_worker: str | None = None
    required_capability: str | None = None
    max_attempts: int | None = None
    lease_expires_at: float | None = None
    created_at: float | None = None
    checkpoint: Any = None
    """What an earlier worker saved with ``extend_claim(..., checkpoint=...)``
    before it failed or lost the lease: resume from it. None when nothing was
    saved (also from servers that do not keep checkpoints)."""
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: Any) -> ClaimedIntent:
        return cls(**fields_of("claimed intent", _CLAIM_SPEC, data))


@dataclass(frozen=True, slots=True)
class ClaimResponse:
    """What ``claim`` returns: truthy with an intent, falsy when there was no work.

    Attribute access passes through to the claimed intent (``job.id``,
    ``job.payload``, ``job.claim_token``), so ``if job:`` then use it. When falsy,
    ``status_code`` is the server's (204) and ``retry_after`` its suggested wait
    in seconds before claiming again (None if it suggested none).
    """

    intent: ClaimedIntent | None
    status_code: int
    retry_after: float | None = None

    def __bool__(self) -> bool:
        return self.intent is not None

    def __getattr__(self, name: str) -> Any:
        # Only called for names the wrapper itself lacks.
        if name.startswith("__"):
            raise AttributeError(name)
        intent = object.__getattribute__(self, "intent")
        if intent is None:
            raise AttributeError(
                f"no intent was claimed (HTTP "
                f"{object.__getattribute__(self, 'status_code')}), so there is no "
                f"{name!r}; test `if job:` before using it"
            )
        return getattr(intent, name)


_SCHEDULE_REQUIRED: Final = frozenset(
    ("name", "owner", "cron", "timezone", "intent", "overlap", "catch_up", "paused")
)
_SCHEDULE_SPEC: Final = spec_of(protocol.SCHEDULE_FIELDS, _SCHEDULE_REQUIRED)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A cron schedule: ``set_schedule``, ``get_schedule`` and ``list_schedules``
    return it.

    ``intent`` is the publish body each tick publishes (read-only mapping);
    ``next_fire_times`` the next few ticks (Unix seconds; empty while
    ``paused``); ``last_intent_id`` the intent the last tick published.
    """

    name: str
    owner: str
    cron: str
    timezone: str
    intent: Mapping[str, Any]
    overlap: str
    catch_up: str
    paused: bool
    next_fire_at: float | None = None
    next_fire_times: tuple[float, ...] = ()
    last_scheduled_for: float | None = None
    last_intent_id: str | None = None
    created_at: float | None = None
    updated_at: float | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: Any) -> Schedule:
        return cls(**fields_of("schedule", _SCHEDULE_SPEC, data))


_TICK_SPEC: Final = spec_of(protocol.TICK_FIELDS, frozenset(protocol.TICK_FIELDS))


@dataclass(frozen=True, slots=True)
class ScheduleTick:
    """What ``trigger_schedule`` returns: the intent one tick published, and
    the time it was published for."""

    schedule: str
    owner: str
    scheduled_for: float
    intent_id: str
    fired_at: float
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @classmethod
    def from_json(cls, data: Any) -> ScheduleTick:
        return cls(**fields_of("schedule tick", _TICK_SPEC, data))
