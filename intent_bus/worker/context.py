"""What a running handler may ask about its own job: ``current_job()``.

Handlers keep their one-argument signature (``handler(payload)``); one that
wants to stop early when its intent is cancelled, or when it ran past the
runtime's ``timeout``, asks ``intent_bus.current_job()`` from its own thread
(or declares a second parameter, which receives the same object)::

    def resize(payload):
        for chunk in chunks(payload):
            if current_job().should_stop:
                return None   # the intent ends cancelled (or failed, timed out)
            work(chunk)

A long handler can also save a checkpoint, so that the worker that claims the
intent after a crash, a lost lease or a failure resumes where it stopped::

    def convert(payload, job):
        start, pages = (job.checkpoint or {}).get("page", 0), payload["pages"]
        for page in range(start, pages):
            render(page)
            job.save_checkpoint({"page": page + 1}, progress=(page + 1) / pages)
"""

from __future__ import annotations

import contextvars
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from intent_bus.sdk import args
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.lease import Lease, LeaseKeeper

__all__ = ["JobContext", "current_job", "wants_context"]


class JobContext:
    """The job a handler is running: its ``intent`` and whether it should stop.

    ``cancel_requested`` turns True when the server answered a lease renewal
    with ``"cancel_requested": true`` (someone called ``cancel``): the runtime
    has stopped renewing the lease, and whatever the handler returns, the
    intent ends ``cancelled``. ``timed_out`` turns True when the handler ran
    past the runtime's ``timeout``: the intent was already failed and the
    handler's return value is ignored. ``wait_stop(seconds)`` sleeps until
    either happens (True) or the time is up (False), for handlers that pace
    themselves.

    ``checkpoint`` is what an earlier worker saved before it stopped (None on
    a first run), then what this handler saved last; ``save_checkpoint`` and
    ``report_progress`` hand a new one to the server with the next lease
    renewal (or at once, with ``now=True``).
    """

    __slots__ = (
        "_keeper",
        "_lease",
        "_stop",
        "cancel_requested",
        "checkpoint",
        "intent",
        "started",
        "timed_out",
    )

    def __init__(self, intent: ClaimedIntent) -> None:
        self.intent = intent
        self.started = time.monotonic()
        self.cancel_requested = False
        self.timed_out = False
        # Made by the first `wait_stop`: most handlers never wait, and an
        # Event per job would be a measurable share of the runtime's cost.
        self._stop: threading.Event | None = None
        self.checkpoint: Any = intent.checkpoint
        self._keeper: LeaseKeeper | None = None
        self._lease: Lease | None = None

    def bind(self, keeper: LeaseKeeper, lease: Lease) -> None:
        """Called by the runtime: saves go with this lease's renewals."""
        self._keeper, self._lease = keeper, lease

    def save_checkpoint(
        self,
        checkpoint: Any,
        *,
        progress: float | str | None = None,
        now: bool = False,
    ) -> bool:
        """Saves `checkpoint` (any JSON, at most 64 KiB; None saves nothing)
        and, when given, `progress` (a fraction 0..1 or a short text).

        They go to the server with the next lease renewal, or, with `now`,
        before this returns. A fulfilled intent drops its checkpoint; a failed
        one (returned False, raised) keeps the last one saved, which the
        runtime sends before it reports the failure. Returns False when the
        lease is lost (the save can never arrive), or, with `now`, when the
        server could not be reached (it is sent with the next renewal). An
        invalid value raises `IntentBusError` at once.
        """
        if checkpoint is not None:
            args.checkpoint(checkpoint)
            self.checkpoint = checkpoint
        if progress is not None:
            progress = args.progress(progress)
        keeper, lease = self._keeper, self._lease
        if keeper is None or lease is None or lease.lost:
            return False
        lease.report(progress, checkpoint)
        return keeper.flush(lease) if now else True

    def report_progress(self, progress: float | str, *, now: bool = False) -> bool:
        """Reports how far the handler got (shown by ``get_status``); as
        ``save_checkpoint`` without a checkpoint."""
        return self.save_checkpoint(None, progress=progress, now=now)

    @property
    def should_stop(self) -> bool:
        return self.cancel_requested or self.timed_out

    def wait_stop(self, seconds: float) -> bool:
        stop = self._stop
        if stop is None:
            stop = self._stop = threading.Event()
        # Checked after the event is in place: a request that came before it
        # set only the flag, one that comes after sets the event too.
        if self.should_stop:
            return True
        return stop.wait(seconds)

    def request_cancel(self) -> None:
        """Called by the runtime when the server asks for a cancel."""
        self.cancel_requested = True
        self._wake()

    def expire(self) -> None:
        """Called by the runtime when the handler ran past its timeout."""
        self.timed_out = True
        self._wake()

    def _wake(self) -> None:
        stop = self._stop
        if stop is not None:
            stop.set()


_CURRENT: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar(
    "intent_bus_current_job", default=None
)


def current_job() -> JobContext:
    """The job the calling handler thread is running; ``RuntimeError`` outside
    a handler run by ``WorkerRuntime``."""
    job = _CURRENT.get()
    if job is None:
        raise RuntimeError("current_job() is only available inside a handler")
    return job


def run_with(job: JobContext, handler: Callable[..., Any], *args: Any) -> Any:
    """Calls `handler(*args)` with `job` as the thread's current job."""
    token = _CURRENT.set(job)
    try:
        return handler(*args)
    finally:
        _CURRENT.reset(token)


def wants_context(handler: Callable[..., Any]) -> bool:
    """True when `handler` takes a second positional argument (the job)."""
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return False
    required = [p for p in positional if p.default is p.empty]
    return len(positional) >= 2 and len(required) <= 2
