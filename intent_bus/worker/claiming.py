"""The claiming half of `WorkerRuntime`, mixed into it: one claim attempt for
as many intents as there are free slots (long-polling when the server
supports it), and the pause that follows it:
the server's suggestion when idle, full-jitter backoff after errors, the
server's Retry-After when rate limited. Handing the claimed intent to a handler
is the runtime's job.
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING

from intent_bus import protocol
from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusRateLimitError,
)
from intent_bus.sdk.models import ClaimedIntent, ClaimResponse
from intent_bus.worker.backoff import error_delay, idle_delay
from intent_bus.worker.client import WorkerClient
from intent_bus.worker.shutdown import Shutdown

log = logging.getLogger("intent_bus.worker")


class Claiming:
    """One claim and its pause; the runtime owns the state it reads."""

    if TYPE_CHECKING:
        client: WorkerClient
        worker_id: str
        capabilities: list[str]
        poll_interval: float
        max_backoff: float
        _server: str
        _long_poll: float | None
        _rand: random.Random
        _shutdown: Shutdown
        _announced: bool

    # -- claiming ---------------------------------------------------------

    def _claim(
        self,
        goal: str | None,
        namespace: str,
        publisher: str | None,
        wait: float | None,
    ) -> ClaimResponse:
        return self.client.claim(
            goal=goal,
            namespace=namespace,
            worker_id=self.worker_id,
            capabilities=self.capabilities or None,
            publisher=publisher,
            wait=wait,
        )

    def _claim_up_to(
        self,
        count: int,
        goal: str | None,
        namespace: str,
        publisher: str | None,
        wait: float | None,
    ) -> tuple[tuple[ClaimedIntent, ...], float | None]:
        """Up to `count` intents in one request (POST /claim?max=N), or one
        with the single claim: for one slot, or a client without claim_many.
        Returns them and the server's suggested pause when there were none."""
        claim_many = getattr(self.client, "claim_many", None)
        if count <= 1 or claim_many is None:
            single = self._claim(goal, namespace, publisher, wait)
            found = () if single.intent is None else (single.intent,)
            return found, single.retry_after
        batch = claim_many(
            min(count, protocol.CLAIM_BATCH_MAX),
            goal=goal,
            namespace=namespace,
            worker_id=self.worker_id,
            capabilities=self.capabilities or None,
            publisher=publisher,
            wait=wait,
        )
        return tuple(batch), batch.retry_after

    def _claim_once(
        self,
        goal: str | None,
        namespace: str,
        publisher: str | None,
        failures: int,
        wait: float | None,
        count: int = 1,
    ) -> tuple[tuple[ClaimedIntent, ...], int]:
        """One claim attempt for up to `count` intents plus the pause that
        should follow it; returns the claimed intents (maybe none) and the new
        count of consecutive failures."""
        started = time.monotonic()
        try:
            claimed, retry_after = self._claim_up_to(
                count, goal, namespace, publisher, wait
            )
        except IntentBusAuthError:
            raise
        except IntentBusRateLimitError as exc:
            failures += 1
            delay = exc.retry_after or error_delay(
                failures, self.max_backoff, self._rand.random
            )
            log.warning("rate limited by %s; pausing %.1f s", self._server, delay)
            self._shutdown.sleep(delay)
            return (), failures
        except IntentBusError as exc:
            if wait is not None and exc.status_code == 400:
                # A server without long-poll may reject `wait`: plain polling.
                log.info("server refused the long-poll claim (%s); polling", exc)
                self._long_poll = None
                return (), failures
            failures += 1
            delay = error_delay(failures, self.max_backoff, self._rand.random)
            log.warning(
                "claim failed at %s (%s); retrying in %.1f s",
                self._server,
                exc,
                delay,
            )
            self._shutdown.sleep(delay)
            return (), failures
        if failures:
            log.info(
                "claiming from %s again after %d failed attempt(s)",
                self._server,
                failures,
            )
        if not self._announced:
            # Said after the first answer, so a refused key or a wrong URL
            # reports only its error.
            self._announced = True
            log.info(
                "worker %s listening for goal %s in namespace %s",
                self.worker_id,
                goal or "(any)",
                namespace,
            )
        if not claimed:
            elapsed = time.monotonic() - started
            self._shutdown.sleep(idle_delay(retry_after, elapsed, self.poll_interval))
        return claimed, 0
