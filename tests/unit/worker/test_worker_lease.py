"""When the lease keeper renews, what it does when a lease is gone, and that
its one thread serves many leases and ends when asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from intent_bus.sdk.exceptions import IntentBusLeaseLostError, IntentBusNetworkError
from intent_bus.worker.lease import (
    COMPACT_MIN,
    MIN_RENEW_SECONDS,
    LeaseKeeper,
    renew_after,
)


def test_renews_at_half_the_claim_timeout() -> None:
    assert renew_after(60) == 30
    assert renew_after(2) == 1
    assert renew_after(0.2) == MIN_RENEW_SECONDS


def wait_until(probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Server:
    """Answers extend_claim per intent from a script of outcomes (then
    success), recording each call with its time."""

    def __init__(self, **scripts: list[BaseException | None]) -> None:
        self.scripts = scripts
        self.calls: list[tuple[str, Any, Any]] = []
        self.times: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def extend_claim(
        self, intent_id: str, seconds: Any, claim_token: Any
    ) -> dict[str, Any]:
        with self.lock:
            self.calls.append((intent_id, seconds, claim_token))
            self.times.setdefault(intent_id, []).append(time.monotonic())
            script = self.scripts.get(intent_id, [])
            outcome = script.pop(0) if script else None
        if outcome is not None:
            raise outcome
        return {}

    def count(self, intent_id: str) -> int:
        with self.lock:
            return len(self.times.get(intent_id, []))


def test_keeper_extends_with_token_until_the_lease_is_lost() -> None:
    server = Server(
        abc=[None, IntentBusNetworkError("blip"), IntentBusLeaseLostError("gone")]
    )
    keeper = LeaseKeeper(server)
    lease = keeper.watch("abc", "tok", claim_timeout=1.0)
    wait_until(lambda: lease.lost)
    time.sleep(1.2)  # more than a renewal interval: a lost lease is not retried
    keeper.release(lease)
    keeper.close()
    keeper.join(10)
    assert not keeper.alive
    assert lease.renewals == 1
    assert server.calls == [("abc", 1, "tok")] * 3


def test_lease_released_at_once_is_never_extended() -> None:
    server = Server()
    keeper = LeaseKeeper(server)
    keeper.release(keeper.watch("abc", "tok", claim_timeout=1.0))
    time.sleep(0.8)  # past the lease's renewal time
    keeper.close()
    keeper.join(10)
    assert server.calls == []
    assert not keeper.alive


def test_one_thread_renews_two_leases_on_their_own_schedules() -> None:
    server = Server()
    keeper = LeaseKeeper(server)
    short = keeper.watch("short", "t1", claim_timeout=1.0)  # every 0.5 s
    long = keeper.watch("long", "t2", claim_timeout=2.0)  # every 1 s
    wait_until(lambda: server.count("long") >= 2)
    keeper.release(short)
    keeper.release(long)
    threads = {t.name for t in threading.enumerate()}
    keeper.close()
    keeper.join(10)
    assert sum(name == "intent-bus-lease-keeper" for name in threads) == 1
    assert server.count("short") >= 3
    assert short.renewals == server.count("short")
    times = server.times["long"]
    assert times[1] - times[0] >= 0.9  # half of its own timeout, not the other's
    assert not keeper.alive


def test_release_waits_for_the_renewal_in_flight() -> None:
    entered = threading.Event()
    proceed = threading.Event()

    class Slow(Server):
        def extend_claim(self, *args: Any, **kw: Any) -> dict[str, Any]:
            entered.set()
            assert proceed.wait(10)
            return super().extend_claim(*args, **kw)

    keeper = LeaseKeeper(Slow())
    lease = keeper.watch("abc", "tok", claim_timeout=1.0)
    assert entered.wait(10)
    released = threading.Event()

    def release() -> None:
        keeper.release(lease)
        released.set()

    releaser = threading.Thread(target=release)
    releaser.start()
    # The verdict must not race a renewal of the same lease to the server.
    assert not released.wait(0.3)
    proceed.set()
    assert released.wait(10)
    releaser.join(10)
    keeper.close()
    keeper.join(10)
    assert not keeper.alive


def test_an_unexpected_error_does_not_end_the_keeper() -> None:
    server = Server(abc=[RuntimeError("bug in a client wrapper")])
    keeper = LeaseKeeper(server)
    lease = keeper.watch("abc", "tok", claim_timeout=1.0)
    wait_until(lambda: lease.renewals >= 1)
    keeper.release(lease)
    keeper.close()
    keeper.join(10)
    assert server.count("abc") >= 2


def test_released_leases_do_not_pile_up_and_live_ones_are_kept() -> None:
    server = Server()
    keeper = LeaseKeeper(server)
    live = keeper.watch("live", "t", claim_timeout=1.0)
    for n in range(COMPACT_MIN * 10):
        keeper.release(keeper.watch(f"done-{n}", "t", claim_timeout=60))
    assert len(keeper._heap) <= COMPACT_MIN * 4
    wait_until(lambda: live.renewals >= 1)
    keeper.release(live)
    keeper.close()
    keeper.join(10)
    assert {call[0] for call in server.calls} == {"live"}


def test_close_with_release_all_ends_the_thread_despite_watched_leases() -> None:
    keeper = LeaseKeeper(Server())
    lease = keeper.watch("abc", "tok", claim_timeout=60)
    keeper.close()
    time.sleep(0.1)
    assert keeper.alive  # a graceful close waits for the lease's release
    keeper.close(release_all=True)
    keeper.join(10)
    assert not keeper.alive
    assert lease.released
