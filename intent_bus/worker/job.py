"""One claimed intent on its way through a runtime (`Job`), what the runtime
hands back (`Processed`), and the line logged when it is finished."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.context import JobContext
from intent_bus.worker.lease import Lease, LeaseKeeper
from intent_bus.worker.outcome import Outcome

__all__ = ["Job", "Processed", "finished_line"]


@dataclass(frozen=True, slots=True)
class Processed:
    """One intent this runtime handled: the claim, the verdict, and whether the
    server accepted the verdict (False when the lease was lost meanwhile).
    ``cancelled`` is True when the intent's cancel was requested while its
    handler ran: the server ends it ``cancelled`` whatever the verdict."""

    intent: ClaimedIntent
    outcome: Outcome
    reported: bool
    cancelled: bool = False


@dataclass(eq=False)
class Job:
    """A claimed intent inside a runtime: its handler, lease and context.
    ``settled`` turns True once its verdict is being sent, by whichever comes
    first: its handler's thread, an abort, or the watchdog."""

    intent: ClaimedIntent
    handler: Any
    full_envelope: bool
    keeper: LeaseKeeper
    lease: Lease
    context: JobContext
    pass_context: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    settled: bool = False
    result: Processed | None = None
    thread: threading.Thread | None = None


def finished_line(job: Job, verdict: Outcome, reported: bool) -> str:
    """The one INFO line per finished intent, so a healthy worker is seen
    working: id, goal, outcome and how long the handler took."""
    if job.context.cancel_requested:
        outcome = "cancelled"
    elif verdict.fulfilled:
        outcome = "fulfilled"
    else:
        outcome = f"failed ({verdict.error})"
    if not reported:
        outcome += ", not accepted: lease lost"
    seconds = time.monotonic() - job.context.started
    return (
        f"intent {job.intent.id} (goal {job.intent.goal}) {outcome} in {seconds:.3f} s"
    )
