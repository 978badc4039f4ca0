"""A handler's progress and checkpoint ride on the lease keeper's next
renewal, go at once through `flush`, survive a failed call, and are never
sent once the lease is lost."""

from __future__ import annotations

import threading
import time
from typing import Any

from intent_bus.sdk.exceptions import IntentBusLeaseLostError, IntentBusNetworkError
from intent_bus.worker.lease import LeaseKeeper


class Server:
    """Records each extend_claim's report; raises the scripted errors first."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.reports: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def extend_claim(
        self, intent_id: str, seconds: Any, claim_token: Any, **report: Any
    ) -> dict[str, Any]:
        with self.lock:
            self.reports.append(report)
            if self.errors:
                raise self.errors.pop(0)
        return {}


def wait_until(probe: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_report_rides_on_the_next_renewal_once() -> None:
    server = Server()
    keeper = LeaseKeeper(server)
    lease = keeper.watch("i1", "t1", claim_timeout=1.0)
    lease.report(0.5, {"step": 1})
    lease.report(None, {"step": 2})  # the newest checkpoint, the waiting progress
    wait_until(lambda: len(server.reports) >= 2)
    keeper.release(lease)
    keeper.close()
    keeper.join(5)
    assert server.reports[0] == {"progress": 0.5, "checkpoint": {"step": 2}}
    assert server.reports[1] == {}


def test_flush_sends_at_once_and_a_failed_call_keeps_the_report() -> None:
    server = Server(IntentBusNetworkError("down"))
    keeper = LeaseKeeper(server)
    lease = keeper.watch("i1", "t1", claim_timeout=60.0)
    lease.report("half", {"step": 3})
    assert keeper.flush(lease) is False  # the server was unreachable
    lease.report(None, {"step": 4})  # newer than the one put back
    assert keeper.flush(lease) is True
    assert keeper.flush(lease) is True  # nothing waits: no call
    keeper.close(release_all=True)
    keeper.join(5)
    assert server.reports == [
        {"progress": "half", "checkpoint": {"step": 3}},
        {"progress": "half", "checkpoint": {"step": 4}},
    ]


def test_nothing_is_sent_once_the_lease_is_lost() -> None:
    server = Server(IntentBusLeaseLostError("gone"))
    keeper = LeaseKeeper(server)
    lease = keeper.watch("i1", "t1", claim_timeout=60.0)
    lease.report(0.1, None)
    assert keeper.flush(lease) is False and lease.lost
    lease.report(0.2, None)
    assert keeper.flush(lease) is False
    keeper.close(release_all=True)
    keeper.join(5)
    assert server.reports == [{"progress": 0.1}]
