"""The handler threads of one `listen` (or `process_one`) call.

Separate from the claim loop so the loop only decides *when* to claim, and
this module only *where* a handler runs.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["HandlerPool"]

log = logging.getLogger("intent_bus.worker")

J = TypeVar("J")


class HandlerPool(Generic[J]):
    """Up to `size` daemon threads that run the jobs put in one queue.

    A thread is started with each of the first `size` jobs, so there are
    never fewer threads than jobs in flight (the runtime submits only while
    a slot is free) and an idle worker with high concurrency starts none.
    Daemon threads, because an aborted runtime must not wait for its
    handlers. `label` names a job's intent in the log.
    """

    def __init__(
        self, size: int, run: Callable[[J], None], label: Callable[[J], str]
    ) -> None:
        self._size = size
        self._run = run
        self._label = label
        self._queue: queue.SimpleQueue[J | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self._abandoned: set[threading.Thread] = set()
        self._started = 0
        self._closed = False
        # `abandon` runs on the watchdog's thread, `submit` on the claim loop's.
        self._lock = threading.Lock()

    def submit(self, job: J) -> None:
        self._queue.put(job)
        with self._lock:
            if len(self.threads) < self._size:
                self._spawn()

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
                self._spawn()

    def _spawn(self) -> None:
        self._started += 1
        thread = threading.Thread(
            target=self._serve,
            name=f"intent-bus-handler-{self._started}",
            daemon=True,
        )
        self.threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Each thread ends after the jobs queued before; does not wait."""
        with self._lock:
            self._closed = True
            count = len(self.threads)
        for _ in range(count):
            self._queue.put(None)

    def join(self) -> None:
        with self._lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join()

    def _serve(self) -> None:
        me = threading.current_thread()
        while (job := self._queue.get()) is not None:
            try:
                self._run(job)
            except Exception:
                # `run` contains the handler's errors; this is a bug or an
                # unexpected error while reporting. The thread must live on:
                # the pool does not replace it.
                log.exception("worker failed on intent %s", self._label(job))
            with self._lock:
                if me in self._abandoned:
                    self._abandoned.discard(me)
                    return
