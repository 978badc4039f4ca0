"""A cancel seen in a renewal's answer, the handler's view of its job, and the
watchdog that times handlers out: the pieces, without a server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from intent_bus import current_job
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.backoff import MAX_ERROR_BACKOFF, error_delay
from intent_bus.worker.context import JobContext, run_with, wants_context
from intent_bus.worker.lease import LeaseKeeper
from intent_bus.worker.watchdog import Watchdog

INTENT = ClaimedIntent("i1", "g", {}, "tok", "default", 1, 100, 60.0)


def wait_until(probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class CancellingServer:
    """Answers the `n`-th renewal and later ones with a cancel request."""

    def __init__(self, cancel_from: int) -> None:
        self.cancel_from = cancel_from
        self.calls = 0
        self.lock = threading.Lock()

    def extend_claim(self, intent_id: str, seconds: Any, claim_token: Any) -> Any:
        with self.lock:
            self.calls += 1
            cancelled = self.calls >= self.cancel_from
        return {"id": intent_id, "cancel_requested": cancelled}


def test_a_cancel_in_a_renewal_answer_stops_renewing_and_tells_the_runtime() -> None:
    server = CancellingServer(cancel_from=2)
    keeper = LeaseKeeper(server)
    told = threading.Event()
    lease = keeper.watch("i1", "tok", 0.2, on_cancel=told.set)
    assert told.wait(10)
    assert lease.cancel_requested and not lease.lost
    calls = server.calls
    time.sleep(1.2)  # two more renewal periods: none is sent
    assert server.calls == calls == 2
    keeper.release(lease)
    keeper.close()
    keeper.join(5)
    assert not keeper.alive


def test_current_job_is_the_running_handlers_and_only_inside_one() -> None:
    job = JobContext(INTENT)
    seen: list[JobContext] = []
    assert run_with(job, lambda payload: seen.append(current_job()), {}) is None
    assert seen == [job]
    with pytest.raises(RuntimeError, match="only available inside a handler"):
        current_job()
    assert not job.should_stop and not job.wait_stop(0.01)
    job.request_cancel()
    assert job.cancel_requested and job.should_stop and job.wait_stop(0)
    other = JobContext(INTENT)
    other.expire()
    assert other.timed_out and other.should_stop


def test_only_handlers_with_a_second_parameter_get_the_job() -> None:
    def one(payload: Any) -> None: ...
    def two(payload: Any, job: Any) -> None: ...
    def optional(payload: Any, job: Any = None) -> None: ...
    def star(*args: Any) -> None: ...

    class Handler:
        def __call__(self, payload: Any, job: Any) -> None: ...

    assert not wants_context(one)
    assert wants_context(two) and wants_context(optional)
    assert wants_context(Handler())
    assert not wants_context(star)
    assert not wants_context(print)


def test_watchdog_expires_only_jobs_still_running_at_their_deadline() -> None:
    expired: list[str] = []
    watchdog: Watchdog[str] = Watchdog(0.2, expired.append)
    slow = watchdog.watch("slow")
    quick = watchdog.watch("quick")
    watchdog.finish(quick)
    wait_until(lambda: expired == ["slow"])
    time.sleep(0.3)
    assert expired == ["slow"]
    watchdog.finish(slow)
    watchdog.close()


def test_outage_backoff_is_capped_at_a_few_seconds() -> None:
    assert MAX_ERROR_BACKOFF <= 5.0
    assert error_delay(50, MAX_ERROR_BACKOFF, lambda: 1.0) == MAX_ERROR_BACKOFF
    assert error_delay(50, MAX_ERROR_BACKOFF, lambda: 0.25) == MAX_ERROR_BACKOFF / 4
