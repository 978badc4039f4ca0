"""The handler threads of one `listen` (or `process_one`) call.

Separate from the claim loop so the loop only decides *when* to claim, and
this module only *where* a handler runs.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["HandlerPool"]

log = logging.getLogger("intent_bus.worker")

J = TypeVar("J")

_Inbox = queue.SimpleQueue
"""One thread's own hand-off: the job it is given, or None to end."""


class HandlerPool(Generic[J]):
    """Up to `size` daemon threads that run the jobs submitted.

    A job goes to the thread that went idle last (the idle threads are a
    stack, each waiting on its own inbox), so a worker that picks up one job
    at a time runs them all on one warm thread. From one shared queue the
    longest-idle thread would take each, and an idle pickup with 32 slots
    woke a thread that had slept through 31 jobs. A thread is started only
    when none is idle, so there are never fewer threads than jobs in flight
    (the runtime submits only while a slot is free) and an idle worker with
    high concurrency starts one. Were all `size` threads busy (a slot freed
    by a thread still finishing its job), the job waits in a backlog that
    the next thread to finish takes first. Daemon threads, because an
    aborted runtime must not wait for its handlers. `label` names a job's
    intent in the log.
    """

    def __init__(
        self, size: int, run: Callable[[J], None], label: Callable[[J], str]
    ) -> None:
        self._size = size
        self._run = run
        self._label = label
        self._idle: list[_Inbox[J | None]] = []
        self._backlog: deque[J] = deque()
        self.threads: list[threading.Thread] = []
        self._abandoned: set[threading.Thread] = set()
        self._started = 0
        self._closed = False
        # `abandon` runs on the watchdog's thread, `submit` on the claim
        # loop's, and each thread files itself as idle.
        self._lock = threading.Lock()

    @property
    def idle(self) -> int:
        """Threads waiting for a job."""
        with self._lock:
            return len(self._idle)

    def submit(self, job: J) -> None:
        with self._lock:
            if self._idle:
                inbox = self._idle.pop()
            elif len(self.threads) < self._size:
                self._spawn(job)
                return
            else:
                self._backlog.append(job)
                return
        inbox.put(job)

    def abandon(self, thread: threading.Thread) -> None:
        """Give up on `thread` (stuck in a handler past its time limit): a new
        thread takes its place, and it ends once its handler returns.
        `join` no longer waits for it."""
        with self._lock:
            if thread not in self.threads:
                return
            self.threads.remove(thread)
            self._abandoned.add(thread)
            if not self._closed:
                self._spawn(None)

    def _spawn(self, job: J | None) -> None:
        self._started += 1
        thread = threading.Thread(
            target=self._serve,
            args=(job,),
            name=f"intent-bus-handler-{self._started}",
            daemon=True,
        )
        self.threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Each thread ends after the jobs submitted before; does not wait."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(None)

    def join(self) -> None:
        with self._lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join()

    def _serve(self, job: J | None) -> None:
        me = threading.current_thread()
        inbox: _Inbox[J | None] = queue.SimpleQueue()
        while True:
            if job is not None:
                try:
                    self._run(job)
                except Exception:
                    # `run` contains the handler's errors; this is a bug or an
                    # unexpected error while reporting. The thread must live
                    # on: the pool does not replace it.
                    log.exception("worker failed on intent %s", self._label(job))
            with self._lock:
                if me in self._abandoned:
                    self._abandoned.discard(me)
                    return
                if self._backlog:
                    job = self._backlog.popleft()
                    continue
                if self._closed:
                    return
                self._idle.append(inbox)
            if (job := inbox.get()) is None:
                return
