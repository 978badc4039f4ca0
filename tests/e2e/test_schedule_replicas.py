"""A per-second schedule on three PostgreSQL replicas, one of them SIGKILLed:
every tick is published exactly once and none is skipped."""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.test_replicas import _tenant, running_replicas
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def db_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


def _ticks(db_url: str) -> tuple[list[float], int]:
    with psycopg.connect(db_url) as conn:
        ticks = [
            float(row[0])
            for row in conn.execute(
                "SELECT scheduled_for FROM schedule_ticks ORDER BY scheduled_for"
            )
        ]
        row = conn.execute(
            "SELECT count(*) FROM intents WHERE goal = 'tick'"
        ).fetchone()
    assert row is not None
    return ticks, int(row[0])


def test_three_replicas_publish_each_tick_once_through_a_sigkill(
    db_url: str, tmp_path: Path
) -> None:
    with running_replicas(db_url, 3, tmp_path) as replicas:
        key = _tenant(replicas[0])
        response = httpx.put(
            f"{replicas[1].url}/schedules/every-second",
            json={"cron": "* * * * * *", "intent": {"goal": "tick"}},
            headers={"X-API-KEY": key},
        )
        assert response.status_code == 201, response.text
        time.sleep(3)
        replicas[2].proc.send_signal(signal.SIGKILL)
        replicas[2].proc.wait(timeout=10)
        time.sleep(3)
        httpx.put(
            f"{replicas[0].url}/schedules/every-second",
            json={"cron": "* * * * * *", "intent": {"goal": "tick"}, "paused": True},
            headers={"X-API-KEY": key},
        ).raise_for_status()
        time.sleep(1.5)  # a firing in flight commits before the count

    ticks, intents = _ticks(db_url)
    assert len(ticks) >= 4, ticks
    assert intents == len(ticks) == len(set(ticks)), "a tick was published twice"
    gaps = [b - a for a, b in itertools.pairwise(ticks) if b - a != 1.0]
    assert not gaps, f"ticks skipped: {gaps}"
