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

    def submit(self, job: J) -> None:
        self._queue.put(job)
        if len(self.threads) < self._size:
            thread = threading.Thread(
                target=self._serve,
                name=f"intent-bus-handler-{len(self.threads) + 1}",
                daemon=True,
            )
            self.threads.append(thread)
            thread.start()

    def close(self) -> None:
        """Each thread ends after the jobs queued before; does not wait."""
        for _ in self.threads:
            self._queue.put(None)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _serve(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._run(job)
            except Exception:
                # `run` contains the handler's errors; this is a bug or an
                # unexpected error while reporting. The thread must live on:
                # the pool does not replace it.
                log.exception("worker failed on intent %s", self._label(job))
