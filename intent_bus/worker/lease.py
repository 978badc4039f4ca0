"""Keeps a claimed intent's lease alive while its handler runs.

A handler may run longer than the server's claim timeout; without renewal the
server would hand the intent to another worker mid-work. The keeper is a
background thread that, every half lease, extends the lease by a full claim
timeout, and stops the moment the handler ends. When the server says the
lease is gone it stops and remembers that, so the runtime knows its verdict
will be refused.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

from intent_bus.sdk.exceptions import IntentBusError, IntentBusLeaseLostError

__all__ = ["LeaseKeeper", "renew_after"]

log = logging.getLogger("intent_bus.worker")

MIN_RENEW_SECONDS = 0.5
"""Never renew more often than this, whatever the server's claim timeout."""


def renew_after(claim_timeout: float) -> float:
    """Seconds to wait before renewing a lease of `claim_timeout` seconds: half
    of it, which leaves the other half for a slow or retried extend call."""
    return max(MIN_RENEW_SECONDS, claim_timeout / 2.0)


class LeaseKeeper:
    """Renews one intent's lease in the background; use as a context manager
    around the handler call."""

    def __init__(
        self,
        client: Any,
        intent_id: str,
        claim_token: str,
        claim_timeout: float,
    ) -> None:
        self._client = client
        self._intent_id = intent_id
        self._token = claim_token
        self._timeout = float(claim_timeout)
        self._seconds = max(1, math.ceil(self._timeout))
        # Our own view of the expiry, in local monotonic time.
        self._deadline = time.monotonic() + self._timeout
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False
        """True once the server refused a renewal: the lease belongs to no one
        (or to someone else) and this worker's verdict will be refused."""
        self.renewals = 0

    def __enter__(self) -> LeaseKeeper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{self._intent_id[:8]}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing; returns once no renewal is in flight."""
        self._done.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def stop_nowait(self) -> None:
        """Stop renewing without waiting for a renewal in flight (abort path)."""
        self._done.set()

    def _run(self) -> None:
        wait = renew_after(self._timeout)
        while not self._done.wait(wait):
            try:
                self._client.extend_claim(
                    self._intent_id, seconds=self._seconds, claim_token=self._token
                )
            except IntentBusLeaseLostError:
                self.lost = True
                log.warning(
                    "lease of intent %s was lost; its outcome will be refused",
                    self._intent_id,
                )
                return
            except IntentBusError as exc:
                # Transient (network, 5xx after the SDK's own retries): try
                # again soon, while some of the lease is left.
                left = self._deadline - time.monotonic()
                wait = max(
                    MIN_RENEW_SECONDS, min(left / 3.0, renew_after(self._timeout))
                )
                log.warning(
                    "could not extend the lease of intent %s (%s); retrying in %.1f s",
                    self._intent_id,
                    exc,
                    wait,
                )
                continue
            self.renewals += 1
            self._deadline = time.monotonic() + self._timeout
            wait = renew_after(self._timeout)
            log.debug("extended the lease of intent %s", self._intent_id)
