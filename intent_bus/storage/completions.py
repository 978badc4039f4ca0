"""How a completion that found no live lease tells a retry from a stray.

A fulfill or fail whose answer was lost is retried with the same claim token.
The first attempt recorded the token's hash and what it did (`done_kind`) on the
intent, until the intent is claimed or requeued again; a retry that repeats that
completion gets the intent as it left it, so its answer is the same. Both
backends share this decision; they only differ in how they read the row.

Anything else stays `LeaseLost`, as before retries were recognised: another
token, another kind of completion, or the same kind with another result or
error. The token's lease is gone either way, and clients already know what
lease_lost means; a conflict would be a new answer for an old situation.
"""

from __future__ import annotations

from typing import Literal

from intent_bus.storage.base import Intent
from intent_bus.storage.errors import Conflict, LeaseLost, NotFound, StoreError

DoneKind = Literal["fulfill", "fail"]
FailEnding = Literal["open", "dead", "cancelled"]


def replayed_fulfill(
    intent_id: str, done: Intent | None, result: bytes | None, result_type: str
) -> Intent:
    """The intent a retried fulfill answers with, or the refusal it gets."""
    intent = _done_by(intent_id, done, "fulfill")
    if intent.status == "fulfilled" and (intent.result, intent.result_type) != (
        result,
        result_type,
    ):
        raise LeaseLost(
            f"that claim token already fulfilled {intent_id!r} with another result"
        )
    return intent


def replayed_fail(intent_id: str, done: Intent | None, error: str) -> Intent:
    """The intent a retried fail answers with, or the refusal it gets."""
    intent = _done_by(intent_id, done, "fail")
    if intent.error != error:
        raise LeaseLost(
            f"that claim token already failed {intent_id!r} with another error"
        )
    return intent


def fail_ending(held: Intent) -> FailEnding:
    """How a fail ends the lease it holds: cancelled when a cancel was asked
    meanwhile, reopened (after its backoff) while attempts remain, else dead."""
    if held.cancel_requested:
        return "cancelled"
    if held.claim_attempts < held.max_attempts:
        return "open"
    return "dead"


FAIL_QUERIES: dict[FailEnding, str] = {
    "cancelled": "intent_fail_cancel",
    "open": "intent_fail_reopen",
    "dead": "intent_fail_kill",
}
"""The statement (named alike in both dialects) that ends a failed lease each
way."""


def _done_by(intent_id: str, done: Intent | None, kind: DoneKind) -> Intent:
    if done is None:
        raise LeaseLost(f"no live lease on {intent_id!r} for that token")
    if done.done_kind != kind:
        raise LeaseLost(
            f"that claim token already completed {intent_id!r} with a {done.done_kind}"
        )
    return done


def settled_refusal(intent_id: str, seen: Intent | None) -> StoreError:
    """Why a cancel or requeue changed nothing: the caller cannot see the
    intent (NotFound, as for an unknown id), or its state forbids it."""
    if seen is None:
        return NotFound(f"no intent {intent_id!r}")
    return Conflict(f"intent {intent_id!r} is {seen.status}")
