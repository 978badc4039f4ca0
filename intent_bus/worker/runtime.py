"""WorkerRuntime: the claim loop, so a worker is just a handler function.

The main thread claims as many intents as it has free slots, in one request
(long-polling when the server supports it), and hands each intent to a pool
of ``concurrency`` handler threads, which live as long
as one `listen` (or `process_one`) call and are reused from job to job (`pool`); one
`LeaseKeeper` thread renews the leases of slow handlers; the handler's verdict
is mapped by `outcome` and reported by the handler thread through `reporter`,
which sends the verdicts of several handlers in one request. Per job the
runtime adds nothing to the two SDK calls but a queue hand-off, a heap
push and one INFO line when the intent is finished (id, goal, outcome,
duration): no thread is started. A handler sees its job through
`context.current_job()` (a cancel request, its time limit); a runtime with a
``timeout`` runs one `watchdog` thread. Shutdown
on SIGINT/SIGTERM or `stop()` is graceful: no new claims, running handlers
finish and report, then `listen` returns. A second signal aborts: in-flight
intents are failed with "worker aborted" so none waits for its lease to expire.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from intent_bus import protocol
from intent_bus.sdk.exceptions import IntentBusAuthError
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker import outcome as outcomes
from intent_bus.worker.backoff import MAX_ERROR_BACKOFF
from intent_bus.worker.claiming import Claiming
from intent_bus.worker.client import WorkerClient
from intent_bus.worker.context import JobContext, run_with, wants_context
from intent_bus.worker.job import Job, Processed, finished_line
from intent_bus.worker.lease import LeaseKeeper
from intent_bus.worker.outcome import Outcome
from intent_bus.worker.pool import HandlerPool
from intent_bus.worker.redact import redact
from intent_bus.worker.report import report
from intent_bus.worker.reporter import BatchReporter
from intent_bus.worker.shutdown import TICK, Shutdown, WorkerAborted
from intent_bus.worker.watchdog import Watchdog

__all__ = ["Processed", "WorkerRuntime", "default_worker_id"]

log = logging.getLogger("intent_bus.worker")

Handler = Callable[..., Any]
"""Gets the payload (or the `ClaimedIntent`), and the `JobContext` too when it
takes a second argument; returns the verdict (`outcome`)."""
OutcomeHook = Callable[[ClaimedIntent, Outcome, bool], None]

ABORT_ERROR = "worker aborted"
SLOT_GATHER = 0.002
"""Seconds the claim loop waits, once, for more slots when only some are free."""


def default_worker_id() -> str:
    """Identifies this host and process, e.g. ``node-7-12345``."""
    worker_id = f"{socket.gethostname() or 'worker'}-{os.getpid()}"
    return worker_id[-protocol.WORKER_ID_MAX_CHARS :]


class WorkerRuntime(Claiming):
    """Claims intents for one goal and runs a handler on each; see `listen`.

    ``client`` is an `IntentClient`, or anything with the methods of
    `WorkerClient` (shared by the handler threads: its connection pool is
    thread-safe). ``poll_interval`` is the pause between
    empty claims when the server suggests none (and the long-poll length),
    ``max_backoff`` the cap of the full-jitter backoff after errors,
    ``concurrency`` how many handlers run at once. ``timeout`` (seconds,
    optional) limits each handler: past it, the intent is failed with
    "handler timed out after N s", its lease is no longer renewed and its slot
    goes to the next intent; the thread cannot be killed, so the handler runs
    on until it returns (it can see ``current_job().timed_out``) and what it
    returns is ignored. ``on_outcome`` (optional) is called after each verdict
    was reported, with the intent, the `Outcome` and whether the server
    accepted it.
    """

    def __init__(
        self,
        client: WorkerClient,
        worker_id: str | None = None,
        capabilities: list[str] | tuple[str, ...] | str | None = None,
        poll_interval: float = 5.0,
        max_backoff: float = MAX_ERROR_BACKOFF,
        concurrency: int = 1,
        *,
        on_outcome: OutcomeHook | None = None,
        timeout: float | None = None,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError("poll_interval must be > 0")
        if max_backoff <= 0:
            raise ValueError("max_backoff must be > 0")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError("concurrency must be an integer >= 1")
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be > 0 seconds (or None)")
        if isinstance(capabilities, str):
            capabilities = capabilities.split(",")
        self.client = client
        self.worker_id = worker_id or default_worker_id()
        self.capabilities = [c.strip() for c in capabilities or () if c.strip()]
        self.poll_interval = float(poll_interval)
        self.max_backoff = float(max_backoff)
        self.concurrency = concurrency
        self.on_outcome = on_outcome
        self.timeout = None if timeout is None else float(timeout)
        # Named in retry messages, so an outage says which server is down.
        self._server = str(getattr(client, "base_url", "the server"))
        # The long-poll lasts one poll interval: work is picked up at once,
        # and a stop() is noticed within one interval.
        self._long_poll: float | None = min(
            protocol.MAX_WAIT_SECONDS, self.poll_interval
        )
        self._rand = random.Random()
        self._lock = threading.Lock()
        self._inflight: dict[str, Job] = {}
        self._slot_freed = threading.Event()
        self._shutdown = Shutdown()
        self._stop_logged = False
        self._announced = False
        # Per `listen`/`process_one` call, set up by `_session`.
        self._pool: HandlerPool[Job] | None = None
        self._keeper: LeaseKeeper | None = None
        self._watchdog: Watchdog[Job] | None = None
        self._reporter: BatchReporter | None = None

    # -- public -----------------------------------------------------------

    def listen(
        self,
        goal: str | None,
        handler: Handler,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        full_envelope: bool = False,
        *,
        publisher: str | None = None,
    ) -> None:
        """Claim and handle intents until stopped; blocks.

        The handler gets the payload (or the whole `ClaimedIntent` when
        ``full_envelope``), and the `JobContext` when it takes a second
        argument (``intent_bus.current_job()`` returns the same object from
        the handler's thread). Its return value fulfills the intent (a
        ``{"result", "result_type"}`` dict sets the type, None means no
        result); False or an exception fails it, and the worker goes on.
        Returns after a graceful stop (SIGINT/SIGTERM in the main thread, or
        `stop()`), once every running handler has reported. Raises
        `IntentBusAuthError` when the server refuses the key: retrying would
        not help.
        """
        pass_context = wants_context(handler)  # once, not per intent
        with self._session():
            failures = 0
            try:
                while free := self._wait_for_slot():
                    claimed, failures = self._claim_once(
                        goal, namespace, publisher, failures, self._long_poll, free
                    )
                    for intent in claimed:
                        self._start(intent, handler, full_envelope, pass_context)
            except IntentBusAuthError:
                # Running handlers still finish and report before the error
                # reaches the caller. (Not on abort: that must not wait.)
                self._drain()
                raise
            self._drain()

    def process_one(
        self,
        goal: str | None,
        handler: Handler,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        full_envelope: bool = False,
        *,
        publisher: str | None = None,
        wait: float | None = None,
    ) -> Processed | None:
        """Claim at most one intent (long-polling up to `wait` seconds), handle
        it and report; None when there was none. Errors of the claim raise."""
        job: Job | None = None
        with self._session():
            response = self._claim(goal, namespace, publisher, wait)
            if response.intent is not None:
                job = self._start(
                    response.intent, handler, full_envelope, wants_context(handler)
                )
                self._drain()
        # After an abort the session swallowed WorkerAborted; the job then
        # carries the "worker aborted" verdict.
        return job.result if job is not None else None

    def stop(self) -> None:
        """Ask `listen` to finish gracefully; safe from any thread."""
        self._shutdown.request()

    @property
    def aborted(self) -> bool:
        """True when the last `listen` ended by a second signal."""
        return self._shutdown.aborted

    # -- session: signals, flags ------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[None]:
        self._announced = False
        pool = self._pool = HandlerPool(
            self.concurrency, self._run_job, lambda job: job.intent.id
        )
        keeper = self._keeper = LeaseKeeper(self.client)
        watchdog = self._watchdog = (
            None if self.timeout is None else Watchdog(self.timeout, self._time_out)
        )
        reporter = self._reporter = BatchReporter(self.client, self._running)
        try:
            with self._shutdown.signals():
                yield
        except WorkerAborted:
            self._abort_inflight()
        finally:
            pool.close()
            reporter.close()
            if watchdog is not None:
                watchdog.close()
            # After an abort no lease is renewed any more, not even one the
            # signal interrupted before its job was registered.
            keeper.close(release_all=self._shutdown.aborted)
            with self._lock:
                settled = not self._inflight
            if settled and not self._shutdown.aborted:
                # Every handler has reported: the threads are idle and end
                # at once. (After an abort, or an unexpected error, handlers
                # may still run; they end on their own.)
                pool.join()
                keeper.join()
            self._pool = self._keeper = None
            self._watchdog = None
            self._reporter = None
            self._shutdown.reset()
            self._stop_logged = False
            if self._announced:
                log.info("worker %s stopped", self.worker_id)

    def _stopping(self) -> bool:
        if not self._shutdown.requested:
            return False
        if not self._stop_logged:
            # Logged here, not in the signal handler (see shutdown.py).
            self._stop_logged = True
            log.info(
                "stopping: no new claims; %d running handler(s) will finish "
                "(signal again to abort)",
                len(self._inflight),
            )
        return True

    def _wait_for_slot(self) -> int:
        """Block until fewer than `concurrency` handlers run; returns how many
        slots are free (what one claim may take), 0 if stopped."""
        gathered = False
        while True:
            with self._lock:
                free = self.concurrency - len(self._inflight)
            # Checked after the slot: a handler that called stop() and then
            # freed its slot is not followed by one more claim.
            if self._stopping():
                return 0
            if 0 < free < self.concurrency and not gathered:
                # A batch report frees its slots together, one thread at a
                # time: a moment's wait claims for all of them in one request.
                gathered = True
                self._shutdown.sleep(SLOT_GATHER)
                continue
            if free > 0:
                return free
            self._slot_freed.wait(TICK)
            self._slot_freed.clear()

    def _drain(self) -> None:
        """Wait until every running handler has reported."""
        while True:
            with self._lock:
                if not self._inflight:
                    return
            self._slot_freed.wait(TICK)
            self._slot_freed.clear()

    # -- handling ---------------------------------------------------------

    def _start(
        self,
        intent: ClaimedIntent,
        handler: Handler,
        full_envelope: bool,
        pass_context: bool,
    ) -> Job:
        assert self._pool is not None and self._keeper is not None
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "claimed intent %s (goal %s, attempt %s), payload %r",
                intent.id,
                intent.goal,
                intent.claim_attempts,
                redact(intent.payload),
            )
        timeout = intent.claim_timeout or protocol.DEFAULT_CLAIM_TIMEOUT
        keeper = self._keeper
        context = JobContext(intent)
        lease = keeper.watch(
            intent.id, intent.claim_token, timeout, on_cancel=context.request_cancel
        )
        context.bind(keeper, lease)
        job = Job(
            intent,
            handler,
            full_envelope,
            keeper,
            lease,
            context,
            pass_context,
        )
        with self._lock:
            self._inflight[intent.id] = job
        self._pool.submit(job)
        return job

    def _run_job(self, job: Job) -> None:
        intent = job.intent
        handed_on = False
        try:
            if job.settled:
                # Aborted while it waited in the queue: already failed.
                job.keeper.release(job.lease, wait=False)
                return
            job.thread = threading.current_thread()
            job.context.started = time.monotonic()
            deadline = None if self._watchdog is None else self._watchdog.watch(job)
            arguments: tuple[Any, ...] = (
                intent if job.full_envelope else intent.payload,
            )
            if job.pass_context:
                arguments += (job.context,)
            try:
                value = run_with(job.context, job.handler, *arguments)
                verdict = outcomes.from_return(value)
            except BaseException as exc:
                if not job.context.timed_out:
                    log.exception("handler failed on intent %s", intent.id)
                verdict = outcomes.from_exception(exc)
            finally:
                if deadline is not None and self._watchdog is not None:
                    self._watchdog.finish(deadline)
                job.keeper.release(job.lease)
            if not verdict.fulfilled:
                # The retry resumes from the last checkpoint saved, sent or not.
                job.keeper.flush(job.lease)
            handed_on = self._settle(job, verdict)
        finally:
            if not handed_on:
                self._forget(job)

    def _forget(self, job: Job) -> None:
        """Frees the job's slot (once: a timed-out job's is freed early)."""
        with self._lock:
            # The same intent may have been claimed again since a time-out.
            if self._inflight.get(job.intent.id) is job:
                del self._inflight[job.intent.id]
        self._slot_freed.set()

    def _time_out(self, job: Job) -> None:
        """On the watchdog's thread: fail a handler's intent past the limit."""
        job.context.expire()
        with job.lock:
            if job.settled:  # it finished (or was aborted) just in time
                return
            job.settled = True
        job.keeper.release(job.lease, wait=False)
        log.warning(
            "handler of intent %s ran past its %g s timeout; failing the intent "
            "(the handler thread runs on until it returns)",
            job.intent.id,
            self.timeout,
        )
        pool = self._pool
        if pool is not None and job.thread is not None:
            pool.abandon(job.thread)
        self._send(job, Outcome.fail(f"handler timed out after {self.timeout:g} s"))
        self._forget(job)

    def _settle(self, job: Job, verdict: Outcome) -> bool:
        """Report the verdict once (an abort or a time-out may have settled
        the job first). True when the verdict went to the batch reporter,
        which then acknowledges it and frees the slot on its own thread."""
        with job.lock:
            if job.settled:
                return False
            job.settled = True
        reporter = self._reporter
        if self.on_outcome is None and reporter is not None:
            # No hook to run on this thread: the reporter acknowledges the
            # whole batch at once when the server answers, and this thread
            # takes the next job meanwhile.
            if reporter.submit(
                job.intent, verdict, lambda ok: self._acknowledge(job, verdict, ok)
            ):
                return True
        self._send(job, verdict)
        return False

    def _acknowledge(self, job: Job, verdict: Outcome, reported: bool) -> None:
        """On the reporter's thread, once the server answered: what `_send`
        does after reporting, then the slot is freed."""
        try:
            self._acknowledged(job, verdict, reported)
        finally:
            self._forget(job)

    def _send(self, job: Job, verdict: Outcome) -> None:
        self._acknowledged(job, verdict, self._report(job.intent, verdict))

    def _acknowledged(self, job: Job, verdict: Outcome, reported: bool) -> None:
        cancelled = job.context.cancel_requested
        job.result = Processed(job.intent, verdict, reported, cancelled)
        if log.isEnabledFor(logging.INFO):
            log.info(finished_line(job, verdict, reported))
        if self.on_outcome is not None:
            try:
                self.on_outcome(job.intent, verdict, reported)
            except Exception:
                log.exception("on_outcome hook failed for intent %s", job.intent.id)

    def _report(self, intent: ClaimedIntent, verdict: Outcome) -> bool:
        reporter = self._reporter
        if reporter is None:
            return report(self.client, intent, verdict)
        return reporter.report(intent, verdict)

    def _running(self) -> int:
        with self._lock:
            return len(self._inflight)

    def _abort_inflight(self) -> None:
        with self._lock:
            jobs = list(self._inflight.values())
        for job in jobs:
            with job.lock:
                if job.settled:
                    continue
                job.settled = True
            job.keeper.release(job.lease, wait=False)
            log.warning("aborting: failing intent %s", job.intent.id)
            verdict = Outcome.fail(ABORT_ERROR)
            # Alone, at once: an abort must not wait for a batch.
            reported = report(self.client, job.intent, verdict)
            job.result = Processed(job.intent, verdict, reported)
        with self._lock:
            self._inflight.clear()
