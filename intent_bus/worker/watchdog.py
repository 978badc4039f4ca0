"""Handler time limits: one thread that notices handlers running too long.

A Python thread cannot be killed, so a handler past its ``timeout`` is not
stopped: the runtime fails its intent at once (with a clear error), stops
renewing its lease, frees its slot for the next intent and tells the handler
through ``current_job().timed_out``. The handler thread runs on until the
handler returns; what it returns then is ignored. One thread watches every
job of a runtime (a heap of deadlines, as the lease keeper keeps), and only a
runtime with a ``timeout`` starts it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Watchdog"]

log = logging.getLogger("intent_bus.worker")

J = TypeVar("J")


class _Entry(Generic[J]):
    __slots__ = ("done", "job")

    def __init__(self, job: J) -> None:
        self.job = job
        self.done = False


class Watchdog(Generic[J]):
    """Calls `expire(job)` for each watched job still running `timeout`
    seconds after `watch`; `finish` cancels that."""

    def __init__(self, timeout: float, expire: Callable[[J], None]) -> None:
        self.timeout = timeout
        self._expire = expire
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Entry[J]]] = []
        self._order = itertools.count()
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, job: J) -> _Entry[J]:
        entry = _Entry(job)
        with self._cond:
            heapq.heappush(
                self._heap,
                (time.monotonic() + self.timeout, next(self._order), entry),
            )
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="intent-bus-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return entry

    def finish(self, entry: _Entry[J]) -> None:
        entry.done = True

    def close(self) -> None:
        """Ends the thread (at once; jobs still watched are not expired)."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    delay = self._heap[0][0] - time.monotonic()
                    if delay <= 0:
                        entry = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(delay)
            try:
                self._expire(entry.job)
            except Exception:
                log.exception("timing out a handler failed")
