"""Backoff, lease and Retry-After arithmetic, with time and randomness passed in."""

from __future__ import annotations

import pytest

from intent_bus.server import policy


@pytest.mark.parametrize(
    ("attempts", "ceiling"), [(1, 5.0), (2, 10.0), (3, 20.0), (0, 5.0)]
)
def test_backoff_ceiling_doubles_per_attempt(attempts: int, ceiling: float) -> None:
    assert policy.backoff_delay(attempts, 5.0, lambda: 0.999999) == pytest.approx(
        ceiling, rel=1e-5
    )
    assert policy.backoff_delay(attempts, 5.0, lambda: 0.0) == 0.0
    assert policy.backoff_delay(attempts, 5.0, lambda: 0.5) == pytest.approx(
        ceiling / 2
    )


def test_backoff_stays_finite_for_huge_attempt_counts() -> None:
    delay = policy.backoff_delay(10_000, 1e6, lambda: 0.999)
    assert delay <= 365 * 24 * 3600.0


def test_lease_seconds_default_and_cap() -> None:
    assert policy.lease_seconds(None, 60, 3600) == 60
    assert policy.lease_seconds(30.5, 60, 3600) == 30.5
    assert policy.lease_seconds(99999, 60, 3600) == 3600


def test_claim_tokens_are_long_and_unique() -> None:
    tokens = {policy.claim_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 43 for t in tokens)


@pytest.mark.parametrize(
    ("next_due", "expected"),
    [(None, 5), (100.2, 1), (101.5, 2), (102.0, 2), (1000.0, 5), (99.0, 1)],
)
def test_empty_claim_retry_after(next_due: float | None, expected: int) -> None:
    assert policy.empty_claim_retry_after(100.0, next_due, 5.0) == expected


def test_rate_window_and_retry_after() -> None:
    assert policy.rate_window_start(125.0) == 120.0
    assert policy.rate_retry_after(125.0, 120.0) == 55
    assert policy.rate_retry_after(179.9, 120.0) == 1


def test_error_truncation() -> None:
    assert len(policy.truncate_error("x" * 5000)) == 2000
