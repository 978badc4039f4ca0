"""Reporting verdicts in small batches: one POST /complete for many leases.

Handler threads hand their verdict to one `BatchReporter` thread, either
waiting for the answer (`report`) or leaving a callback that the reporter
calls with it (`submit`), so the handler thread is free at once and the
verdicts of one batch are acknowledged together, without waking each handler
thread again. Either way a verdict is acknowledged (``reported``, the
``on_outcome`` hook, the slot freed) only once the server committed it. The
reporter sends when it holds ``max_items`` verdicts, when every running job is
waiting on it (nobody else can join the batch, so waiting would only add
latency: one job in flight is reported at once, alone), or ``max_delay`` after
the first one arrived. It is woken only for the first verdict of a batch and
for the one that fills it, not for each.

A batch of one goes out as the single fulfill or fail (`report`), as does
every verdict when the client has no ``complete_many`` or the server has no
POST /complete (404), and each verdict of a batch the server refused whole
(say, a result over its size limit): `report` then settles each one alone,
failing an intent whose result was refused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.client import WorkerClient
from intent_bus.worker.outcome import Outcome
from intent_bus.worker.report import report

__all__ = ["MAX_BATCH_DELAY", "MAX_BATCH_ITEMS", "BatchReporter"]

log = logging.getLogger("intent_bus.worker")

MAX_BATCH_ITEMS: Final = 50
"""Verdicts one POST /complete carries at most."""
MAX_BATCH_DELAY: Final = 0.02
"""Seconds the first verdict of a batch waits at most for others to join."""


Acknowledge = Callable[[bool], None]
"""Called on the reporter's thread once the verdict was answered, with
whether the server accepted it."""


@dataclass(eq=False, slots=True)
class _Pending:
    intent: ClaimedIntent
    verdict: Outcome
    done: Acknowledge
    accepted: bool = False


class BatchReporter:
    """The reporting thread of one `listen`; `report` blocks until committed.

    ``running`` tells how many jobs are in flight (each may still add a
    verdict); the thread starts with the first verdict and ends on `close`.
    """

    def __init__(
        self,
        client: WorkerClient,
        running: Callable[[], int],
        max_items: int = MAX_BATCH_ITEMS,
        max_delay: float = MAX_BATCH_DELAY,
    ) -> None:
        self._client = client
        self._complete_many: Any = getattr(client, "complete_many", None)
        self._running = running
        self._max_items = max_items
        self._max_delay = max_delay
        self._pending: list[_Pending] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def report(self, intent: ClaimedIntent, verdict: Outcome) -> bool:
        """Sends `verdict` with others; True when the server accepted it."""
        answered = threading.Event()
        accepted = [False]

        def done(ok: bool) -> None:
            accepted[0] = ok
            answered.set()

        if self.submit(intent, verdict, done):
            answered.wait()
            return accepted[0]
        return report(self._client, intent, verdict)

    def submit(
        self, intent: ClaimedIntent, verdict: Outcome, done: Acknowledge
    ) -> bool:
        """Queues `verdict` for the next batch without waiting; `done` is
        called on the reporter's thread once the server answered. False (and
        nothing queued) when batches are off: send it alone (`report`)."""
        if self._complete_many is None:
            return False
        with self._changed:
            if self._closed:
                return False
            self._pending.append(_Pending(intent, verdict, done))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="intent-bus-reporter", daemon=True
                )
                self._thread.start()
            elif len(self._pending) == 1 or self._full():
                # Otherwise the thread is already timing this batch and
                # needs no wake-up per verdict.
                self._changed.notify()
        return True

    def close(self) -> None:
        """Sends what is pending, then the thread ends; does not wait."""
        with self._changed:
            self._closed = True
            self._changed.notify()

    def _serve(self) -> None:
        while True:
            with self._changed:
                while not self._pending and not self._closed:
                    self._changed.wait()
                if not self._pending:
                    return
                deadline = time.monotonic() + self._max_delay
                while not self._closed and not self._full():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
                batch = self._pending[: self._max_items]
                del self._pending[: len(batch)]
            try:
                self._send(batch)
            except Exception:
                log.exception("could not report %d verdict(s)", len(batch))
            finally:
                for item in batch:
                    try:
                        item.done(item.accepted)
                    except Exception:
                        log.exception(
                            "acknowledging the verdict of intent %s failed",
                            item.intent.id,
                        )

    def _full(self) -> bool:
        count = len(self._pending)
        return count >= self._max_items or count >= self._running()

    def _send(self, batch: list[_Pending]) -> None:
        if len(batch) == 1 or self._complete_many is None:
            for item in batch:
                item.accepted = report(self._client, item.intent, item.verdict)
            return
        try:
            outcomes = self._complete_many([_completion(item) for item in batch])
        except IntentBusError as exc:
            if exc.status_code == 404:
                log.info("the server has no POST /complete; reporting one by one")
                self._complete_many = None
            for item in batch:
                item.accepted = report(self._client, item.intent, item.verdict)
            return
        for item, outcome in zip(batch, outcomes, strict=True):
            item.accepted = outcome.ok
            if not outcome.ok:
                log.warning(
                    "lease of intent %s was lost before its outcome was reported "
                    "(%s); another worker may run it again",
                    item.intent.id,
                    outcome.error_code,
                )


def _completion(item: _Pending) -> dict[str, Any]:
    """The complete_many item of a verdict, as `report` would send it alone."""
    verdict = item.verdict
    body: dict[str, Any] = {
        "id": item.intent.id,
        "claim_token": item.intent.claim_token,
    }
    if not verdict.fulfilled:
        body["error"] = verdict.error or ""
    elif verdict.result_type is not None:
        body["result"] = verdict.result
        body["result_type"] = verdict.result_type
    return body
