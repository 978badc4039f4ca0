"""Keeps the leases of claimed intents alive while their handlers run.

A handler may run longer than the server's claim timeout; without renewal the
server would hand the intent to another worker mid-work. One keeper thread
watches every lease of a runtime: a heap orders the leases by when each is
due (half a lease after it was taken or last extended); the thread sleeps
until the earliest, extends it by a full claim timeout and schedules it again.
Most handlers end long before their first renewal, so watching a lease costs
a heap push and releasing it a flag, rather than a thread per job. When the
server says a lease is gone the keeper stops renewing it and marks it lost,
so the runtime knows its verdict will be refused; when a renewal's answer says
the intent's cancel was requested, it stops renewing and tells the runtime.

A handler's progress and checkpoint (`JobContext.save_checkpoint`) wait on
the lease and travel with its next renewal, or at once through `flush`. Each
lease's extend calls hold its `sending` lock and take the latest report when
they start, so a later save never reaches the server before an earlier one.

Renewals run one after another on the keeper thread. A lease is renewed with
half of it left, which leaves room for the renewals queued before it and for
a slow or retried extend call.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from intent_bus.sdk.exceptions import IntentBusError, IntentBusLeaseLostError
from intent_bus.worker.client import LeaseClient

__all__ = ["Lease", "LeaseKeeper", "renew_after"]

log = logging.getLogger("intent_bus.worker")

MIN_RENEW_SECONDS = 0.5
"""Never renew more often than this, whatever the server's claim timeout."""

COMPACT_MIN = 64
"""Released leases stay in the heap until they come due; the heap is rebuilt
without them once it holds this many entries and four times the live ones."""


def renew_after(claim_timeout: float) -> float:
    """Seconds to wait before renewing a lease of `claim_timeout` seconds: half
    of it, which leaves the other half for a slow or retried extend call."""
    return max(MIN_RENEW_SECONDS, claim_timeout / 2.0)


class Lease:
    """One intent's lease as the keeper sees it. ``lost`` becomes True once the
    server refused a renewal: the lease belongs to no one (or to someone
    else) and this worker's verdict will be refused."""

    __slots__ = (
        "cancel_requested",
        "checkpoint",
        "deadline",
        "due",
        "intent_id",
        "lost",
        "on_cancel",
        "progress",
        "released",
        "renewals",
        "seconds",
        "sending",
        "timeout",
        "token",
    )

    def __init__(
        self,
        intent_id: str,
        claim_token: str,
        claim_timeout: float,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        now = time.monotonic()
        self.intent_id = intent_id
        self.token = claim_token
        self.timeout = float(claim_timeout)
        self.seconds = max(1, math.ceil(self.timeout))
        # Our own view of the expiry, in local monotonic time.
        self.deadline = now + self.timeout
        self.due = now + renew_after(self.timeout)
        self.released = False
        self.lost = False
        self.cancel_requested = False
        self.on_cancel = on_cancel
        self.renewals = 0
        # The handler's report not yet sent (None: nothing new), under `sending`.
        self.sending = threading.Lock()
        self.progress: float | str | None = None
        self.checkpoint: Any = None

    def report(self, progress: float | str | None, checkpoint: Any) -> None:
        """Keeps the handler's latest report for the next extend call (a None
        field keeps the one waiting)."""
        with self.sending:
            if progress is not None:
                self.progress = progress
            if checkpoint is not None:
                self.checkpoint = checkpoint

    def take_report(self) -> dict[str, Any]:
        """The waiting report as extend_claim arguments, and none waits any
        more; the caller holds `sending` and puts it back if the call fails."""
        report: dict[str, Any] = {}
        if self.progress is not None:
            report["progress"] = self.progress
        if self.checkpoint is not None:
            report["checkpoint"] = self.checkpoint
        self.progress = self.checkpoint = None
        return report

    def put_back(self, report: dict[str, Any]) -> None:
        """After a failed call: the report waits again, unless a newer one came."""
        if self.progress is None:
            self.progress = report.get("progress")
        if self.checkpoint is None:
            self.checkpoint = report.get("checkpoint")


class LeaseKeeper:
    """Renews the leases handed to `watch` until each is `release`d.

    The thread starts with the first lease. `close` lets it end once no lease
    is watched any more (at once when none is); `join` waits for that. A
    `watch` after the thread ended starts a new one, which ends as soon as it
    is idle again (the keeper stays closed).
    """

    def __init__(self, client: LeaseClient) -> None:
        self._client = client
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Lease]] = []
        self._order = itertools.count()  # ties in `due` never compare leases
        self._active = 0
        self._renewing: Lease | None = None
        self._closing = False
        self._finished = False
        self._thread: threading.Thread | None = None

    def watch(
        self,
        intent_id: str,
        claim_token: str,
        claim_timeout: float,
        on_cancel: Callable[[], None] | None = None,
    ) -> Lease:
        """Start renewing a lease just taken (its timeout counts from now).
        `on_cancel` is called (on the keeper thread) when a renewal's answer
        says the intent's cancel was requested; the lease is then no longer
        renewed."""
        lease = Lease(intent_id, claim_token, claim_timeout, on_cancel)
        with self._cond:
            self._active += 1
            self._push(lease)
            if self._thread is None or self._finished:
                self._finished = False
                self._thread = threading.Thread(
                    target=self._run, name="intent-bus-lease-keeper", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is lease:
                self._cond.notify()  # the keeper sleeps until a later lease
        return lease

    def release(self, lease: Lease, wait: bool = True) -> None:
        """Stop renewing `lease`. With `wait`, return only once no renewal of
        it is in flight, so none reaches the server after the verdict (the
        abort path passes False: it must not wait on the network)."""
        with self._cond:
            if not lease.released:
                lease.released = True
                self._active -= 1
                if self._active == 0:
                    self._cond.notify()  # a closing keeper may end now
            if wait and threading.current_thread() is not self._thread:
                while self._renewing is lease:
                    self._cond.wait()
            if len(self._heap) >= COMPACT_MIN and len(self._heap) > 4 * self._active:
                self._heap = [e for e in self._heap if not e[2].released]
                heapq.heapify(self._heap)

    def flush(self, lease: Lease) -> bool:
        """Sends the handler's waiting report now, on the caller's thread, with
        an extension of the lease; True once the server has it (or nothing
        waited), False when the lease is lost or the call failed (the report
        then waits for the next renewal)."""
        if lease.lost:
            return False
        with lease.sending:
            report = lease.take_report()
            if not report:
                return True
            try:
                self._client.extend_claim(
                    lease.intent_id,
                    seconds=lease.seconds,
                    claim_token=lease.token,
                    **report,
                )
            except IntentBusLeaseLostError:
                lease.lost = True
                return False
            except Exception as exc:
                lease.put_back(report)
                log.warning(
                    "could not save the checkpoint of intent %s (%s); it goes "
                    "with the next renewal",
                    lease.intent_id,
                    exc,
                )
                return False
        return True

    def close(self, release_all: bool = False) -> None:
        """Let the thread end once no lease is watched; does not wait. With
        `release_all` (the abort path) every lease is released first, so the
        thread ends as soon as a renewal in flight returns."""
        with self._cond:
            if release_all:
                for _, _, lease in self._heap:
                    lease.released = True
                if self._renewing is not None:
                    self._renewing.released = True
                self._active = 0
            self._closing = True
            self._cond.notify()

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the keeper thread -------------------------------------------------

    def _push(self, lease: Lease) -> None:
        heapq.heappush(self._heap, (lease.due, next(self._order), lease))

    def _run(self) -> None:
        while (lease := self._next_due()) is not None:
            try:
                self._renew(lease)
            finally:
                with self._cond:
                    self._renewing = None
                    if not (lease.released or lease.lost or lease.cancel_requested):
                        self._push(lease)
                    self._cond.notify_all()  # releasers waiting for this renewal

    def _next_due(self) -> Lease | None:
        """Block until a lease is due for renewal (None: closed and idle)."""
        with self._cond:
            while True:
                if self._closing and self._active == 0:
                    self._finished = True
                    return None
                if not self._heap:
                    self._cond.wait()
                    continue
                due, _, lease = self._heap[0]
                if lease.released:
                    heapq.heappop(self._heap)
                    continue
                delay = due - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                self._renewing = lease
                return lease

    def _renew(self, lease: Lease) -> None:
        with lease.sending:
            self._renew_sending(lease)

    def _renew_sending(self, lease: Lease) -> None:
        started = time.monotonic()
        report = lease.take_report()
        try:
            answer = self._client.extend_claim(
                lease.intent_id,
                seconds=lease.seconds,
                claim_token=lease.token,
                **report,
            )
        except IntentBusLeaseLostError:
            lease.lost = True
            log.warning(
                "lease of intent %s was lost; its outcome will be refused",
                lease.intent_id,
            )
            return
        except Exception as exc:
            # Transient (network, 5xx after the SDK's own retries; anything
            # else must not end the thread that renews every lease): try again
            # soon, while some of the lease is left.
            lease.put_back(report)
            left = lease.deadline - time.monotonic()
            wait = max(MIN_RENEW_SECONDS, min(left / 3.0, renew_after(lease.timeout)))
            lease.due = time.monotonic() + wait
            if isinstance(exc, IntentBusError):
                log.warning(
                    "could not extend the lease of intent %s (%s); retrying in %.1f s",
                    lease.intent_id,
                    exc,
                    wait,
                )
            else:
                log.exception(
                    "extending the lease of intent %s failed; retrying in %.1f s",
                    lease.intent_id,
                    wait,
                )
            return
        lease.renewals += 1
        # Counted from before the call: the server's new expiry is later.
        lease.deadline = started + lease.timeout
        lease.due = started + renew_after(lease.timeout)
        if isinstance(answer, dict) and answer.get("cancel_requested") is True:
            # Renewing on would only keep a cancelled intent's lease alive:
            # the handler's verdict (or the lease running out) now ends it
            # cancelled.
            lease.cancel_requested = True
            log.info(
                "intent %s was cancelled; no longer renewing its lease", lease.intent_id
            )
            if lease.on_cancel is not None:
                lease.on_cancel()
            return
        log.debug("extended the lease of intent %s", lease.intent_id)
