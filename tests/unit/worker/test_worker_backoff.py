"""Pacing of the claim loop: full-jitter error backoff and the idle pause."""

from __future__ import annotations

from intent_bus.worker.backoff import error_delay, idle_delay


def test_error_delay_grows_exponentially_up_to_the_cap() -> None:
    ceilings = [error_delay(n, 60.0, lambda: 1.0, base=0.5) for n in range(1, 10)]
    assert ceilings[:4] == [0.5, 1.0, 2.0, 4.0]
    assert ceilings[-1] == 60.0
    assert error_delay(10_000, 60.0, lambda: 1.0) == 60.0


def test_error_delay_is_full_jitter() -> None:
    assert error_delay(5, 60.0, lambda: 0.0) == 0.0
    assert error_delay(5, 60.0, lambda: 0.5) == 4.0


def test_idle_delay_honours_retry_after() -> None:
    assert idle_delay(3.0, 0.0, 5.0) == 3.0
    assert idle_delay(30.0, 0.0, 5.0) == 30.0


def test_idle_delay_falls_back_to_poll_interval() -> None:
    assert idle_delay(None, 0.0, 5.0) == 5.0


def test_time_spent_long_polling_counts() -> None:
    assert idle_delay(5.0, 5.2, 5.0) == 0.0
    assert idle_delay(None, 2.0, 5.0) == 3.0
