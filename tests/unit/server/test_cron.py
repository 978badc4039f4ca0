"""Cron time arithmetic: fields, zones, daylight saving and bounded catch-up."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from intent_bus.server import cron

BERLIN = cron.zone("Europe/Berlin")
UTC = cron.zone("UTC")


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    "expression", ["* * *", "* * * * * * *", "61 * * * *", "* * * * tuesday-ish", ""]
)
def test_bad_cron_names_the_cron_field(expression: str) -> None:
    with pytest.raises(cron.CronError) as bad:
        cron.check_cron(expression)
    assert bad.value.field == "cron" and str(bad.value).startswith("cron: ")


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/"])
def test_unknown_zone_names_the_timezone_field(name: str) -> None:
    with pytest.raises(cron.CronError) as bad:
        cron.zone(name)
    assert bad.value.field == "timezone"


def test_six_fields_take_a_leading_seconds_field() -> None:
    cron.check_cron("*/10 * * * * *")
    start = utc(2026, 1, 1, 0, 0, 5)
    assert cron.upcoming("*/10 * * * * *", UTC, start, 3) == [
        start + 5,
        start + 15,
        start + 25,
    ]


def test_spring_forward_fires_the_skipped_time_once_an_hour_later() -> None:
    ticks = cron.upcoming("30 2 * * *", BERLIN, utc(2026, 3, 27, 12, 0), 3)
    assert ticks == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ]
    # asked from just after the jump, the shifted tick is still ahead
    assert cron.next_after("30 2 * * *", BERLIN, utc(2026, 3, 29, 1, 10)) == utc(
        2026, 3, 29, 1, 30
    )


def test_fall_back_fires_a_repeated_time_once_and_pauses_the_second_pass() -> None:
    daily = cron.upcoming("30 2 * * *", BERLIN, utc(2026, 10, 24, 12, 0), 2)
    assert daily == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    half_hourly = cron.upcoming("*/30 * * * *", BERLIN, utc(2026, 10, 24, 23, 50), 4)
    assert half_hourly == [
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 2, 0),  # 03:00 CET: 02:00/02:30 CET are not repeated
        utc(2026, 10, 25, 2, 30),
    ]


def test_due_ticks_are_the_latest_ones_and_cheap_after_a_long_outage() -> None:
    since = utc(2026, 1, 1)
    assert cron.due_ticks("* * * * *", UTC, since, since + 180, 100) == [
        since,
        since + 60,
        since + 120,
        since + 180,
    ]
    started = time.perf_counter()
    week = cron.due_ticks("* * * * * *", UTC, since, since + 7 * 86400, 100)
    assert week == [since + 7 * 86400 - 99 + i for i in range(100)]
    assert time.perf_counter() - started < 2.0
