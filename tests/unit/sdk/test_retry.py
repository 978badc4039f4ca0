"""RetryPolicy and RetryLoop decide retries from outcomes alone: no sleeping."""

from __future__ import annotations

import pytest

from intent_bus.sdk.exceptions import IntentBusNetworkError
from intent_bus.sdk.retry import RetryLoop, RetryPolicy, Safety, parse_retry_after


def lost() -> IntentBusNetworkError:
    return IntentBusNetworkError("lost", request_sent=True)


def refused() -> IntentBusNetworkError:
    return IntentBusNetworkError("refused", request_sent=False)


def test_backoff_is_full_jitter_exponential_and_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=3.0, max_total=1e9)
    assert policy.delay(1, 0.0, None, 1.0) == 0.5
    assert policy.delay(2, 0.0, None, 1.0) == 1.0
    assert policy.delay(3, 0.0, None, 1.0) == 2.0
    assert policy.delay(4, 0.0, None, 1.0) == 3.0
    assert policy.delay(9, 0.0, None, 1.0) == 3.0
    assert policy.delay(3, 0.0, None, 0.0) == 0.0
    assert policy.delay(3, 0.0, None, 0.25) == 0.5


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.delay(2, 0.0, None, 0.5) is not None
    assert policy.delay(3, 0.0, None, 0.5) is None
    assert RetryPolicy(max_attempts=1).delay(1, 0.0, None, 0.5) is None


def test_total_time_is_bounded() -> None:
    policy = RetryPolicy(max_attempts=100, base_delay=1.0, max_delay=1.0, max_total=10)
    assert policy.delay(2, 8.5, None, 1.0) == 1.0
    assert policy.delay(2, 9.5, None, 1.0) is None


def test_retry_after_is_a_floor_and_counts_against_the_budget() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=0.1, max_total=10)
    assert policy.delay(1, 0.0, 4.0, 1.0) == 4.0
    assert policy.delay(1, 0.0, 20.0, 1.0) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("3", 3.0), (" 1.5 ", 1.5), ("-4", 0.0), ("soon", None)],
)
def test_parse_retry_after_delta_seconds(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_http_date() -> None:
    header = "Thu, 01 Jan 1970 00:01:40 GMT"  # 100 s after the epoch
    assert parse_retry_after(header, now=90.0) == pytest.approx(10.0)


def loop(safety: Safety, attempts: int = 5) -> RetryLoop:
    return RetryLoop(RetryPolicy(max_attempts=attempts), safety, 0.0, rand=lambda: 0.5)


def test_safe_call_retries_lost_responses_and_server_errors() -> None:
    retry = loop(Safety.ALWAYS, attempts=10)
    assert retry.after_error(lost(), 0.0) is not None
    assert retry.uncertain
    for status in (429, 500, 502, 503, 504):
        assert retry.after_response(status, None, 0.0) is not None
    assert retry.attempt == 7


def test_nothing_below_429_is_retried() -> None:
    retry = loop(Safety.ALWAYS)
    for status in (200, 201, 204, 400, 401, 403, 404, 409, 413):
        assert retry.after_response(status, None, 0.0) is None
    assert retry.attempt == 1


def test_claim_is_not_retried_once_the_request_may_have_arrived() -> None:
    retry = loop(Safety.UNPROCESSED)
    assert retry.after_error(lost(), 0.0) is None
    assert retry.uncertain
    assert loop(Safety.UNPROCESSED).after_response(500, None, 0.0) is None
    assert loop(Safety.UNPROCESSED).after_response(504, None, 0.0) is None


def test_claim_is_retried_when_the_server_certainly_did_nothing() -> None:
    retry = loop(Safety.UNPROCESSED)
    assert retry.after_error(refused(), 0.0) is not None
    assert retry.after_response(429, "0", 0.0) is not None
    assert retry.after_response(503, "1", 0.0) == 1.0
    assert not retry.uncertain


def test_loop_gives_up_after_max_attempts() -> None:
    retry = loop(Safety.ALWAYS, attempts=3)
    assert retry.after_error(refused(), 0.0) is not None
    assert retry.after_error(refused(), 0.0) is not None
    assert retry.after_error(refused(), 0.0) is None
