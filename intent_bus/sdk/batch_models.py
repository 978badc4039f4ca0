"""The typed answers of the batch methods: ``publish_many``, ``claim_many`` and
``complete_many``; frozen and validated like ``models``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from intent_bus import protocol
from intent_bus.sdk.exceptions import IntentBusProtocolError
from intent_bus.sdk.models import _EMPTY, ClaimedIntent, fields_of

__all__ = ["ClaimBatch", "CompletionOutcome", "PublishOutcome"]

_ERROR_SPEC: Final = (("code", "str", True), ("message", "str", True))


def _error_of(model: str, data: Any) -> tuple[str | None, str | None]:
    """(code, message) of an item's `error` object, (None, None) without one."""
    error = data.get("error") if isinstance(data, dict) else None
    if error is None:
        return None, None
    found = fields_of(f"{model} error", _ERROR_SPEC, error)
    return found["code"], found["message"]


def _without_error(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k != "error"}
    return data


_PUBLISH_SPEC: Final = (("outcome", "str", True), ("id", "opt_str", False))


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    """What became of one intent of ``publish_many``, in the order given.

    ``outcome`` is ``created`` (``id`` is the new intent), ``replayed`` (its
    idempotency key published ``id`` before, with the same arguments) or
    ``error`` (``error_code`` and ``error_message`` say why, e.g. ``conflict``:
    the key was used with other arguments). ``ok`` is True unless error.
    """

    outcome: str
    id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @property
    def ok(self) -> bool:
        return self.outcome != protocol.OUTCOME_ERROR

    @classmethod
    def from_json(cls, data: Any) -> PublishOutcome:
        if type(data) is dict and len(data) == 2:
            # The usual answer, {"outcome": "created", "id": "..."}, read at
            # once: a batch has a thousand of them.
            outcome, intent_id = data.get("outcome"), data.get("id")
            if (
                type(outcome) is str
                and type(intent_id) is str
                and outcome != protocol.OUTCOME_ERROR
            ):
                return cls(outcome, intent_id)
        code, message = _error_of("publish outcome", data)
        found = fields_of("publish outcome", _PUBLISH_SPEC, _without_error(data))
        if found["outcome"] != protocol.OUTCOME_ERROR and found.get("id") is None:
            raise IntentBusProtocolError(
                "server sent an invalid publish outcome: field 'id' is missing"
            )
        return cls(**found, error_code=code, error_message=message)


_COMPLETION_SPEC: Final = (
    ("id", "str", True),
    ("status", "opt_str", False),
    ("completed_at", "opt_num", False),
    ("run_at", "opt_num", False),
    ("claim_attempts", "opt_int", False),
    ("max_attempts", "opt_int", False),
)


@dataclass(frozen=True, slots=True)
class CompletionOutcome:
    """What became of one item of ``complete_many``, in the order given.

    ``status`` is the intent's new state (``fulfilled``, ``open`` to retry at
    ``run_at``, ``dead``, ``cancelled``) when it worked; otherwise ``ok`` is
    False and ``error_code`` says why (``lease_lost``: that token no longer
    holds the lease, as ``IntentBusLeaseLostError`` says for ``fulfill``).
    """

    id: str
    status: str | None = None
    completed_at: float | None = None
    run_at: float | None = None
    claim_attempts: int | None = None
    max_attempts: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY, compare=False, repr=False
    )

    @property
    def ok(self) -> bool:
        return self.error_code is None

    @classmethod
    def from_json(cls, data: Any) -> CompletionOutcome:
        code, message = _error_of("completion outcome", data)
        found = fields_of("completion outcome", _COMPLETION_SPEC, _without_error(data))
        return cls(**found, error_code=code, error_message=message)


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """What ``claim_many`` returns: the leased intents, best first (iterate it,
    ``len()`` it; falsy when there was no work). When empty, ``retry_after`` is
    the server's suggested wait before claiming again (None if none)."""

    intents: tuple[ClaimedIntent, ...]
    status_code: int
    retry_after: float | None = None

    def __bool__(self) -> bool:
        return bool(self.intents)

    def __len__(self) -> int:
        return len(self.intents)

    def __iter__(self) -> Iterator[ClaimedIntent]:
        return iter(self.intents)

    def __getitem__(self, index: int) -> ClaimedIntent:
        return self.intents[index]
