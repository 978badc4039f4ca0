"""Concurrency limits under concurrent claims, judged from a recorded history.

16 workers long-poll one goal limited to 3 running, on SQLite and on three
PostgreSQL replicas sharing a database (so the limit must hold across
processes). Each worker records when it held each intent; the checker
(`limit_history`) shows that more than 3 were never held at once and that no
slot stayed free for longer than IDLE_BOUND while work waited: a freed slot
wakes the long-polling workers, on every replica. A second pool does the same
for `max_per_key`. Each scenario is a few seconds of work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest

from intent_bus import protocol
from tests.e2e.test_replicas import ADMIN_KEY as REPLICAS_ADMIN_KEY
from tests.e2e.test_replicas import running_replicas
from tests.harness import ServerProcess
from tests.pgutil import fresh_postgres_database
from tests.reliability.limit_history import (
    LimitHistory,
    limited_worker,
    longest_idle_slot,
    max_overlap,
)

pytestmark = pytest.mark.slow

WORKERS = 16
MAX_RUNNING = 3
INTENTS = 24
WORK_SECONDS = 0.6
"""24 intents x 0.6 s / 3 slots: about 5 s of work."""
REST_SECONDS = 1.5
"""After each fulfill a worker rests this long, longer than IDLE_BOUND, so the
slot it freed must go to a waiting worker: only a wake-up brings one in time.
(Enough workers stay waiting: 16 - 3 working - about 7.5 resting.)"""
WAIT_SECONDS = 30.0
"""The workers' long poll: a missed wake-up leaves a slot idle until some
waiter's poll ends (seconds, with 16 workers spread over 30 s)."""
IDLE_BOUND = 1.2
"""The longest a slot may stay free while work waits: a fulfill, a wake-up and
a claim, with room for a loaded CI machine; below REST_SECONDS."""
KEYS = ("k1", "k2")
MAX_PER_KEY = 2
KEYED_INTENTS = 8  # of each key: 16 x 0.6 s / 4 slots, about 2.5 s

Cluster = Callable[[], AbstractContextManager[list[str]]]


def _sqlite_cluster(db: Path, admin_key: str) -> Cluster:
    @contextmanager
    def start() -> Iterator[list[str]]:
        server = ServerProcess(db, admin_key=admin_key)
        try:
            yield [server.url]
        finally:
            server.stop()

    return start


def _postgres_cluster(db_url: str, logs: Path) -> Cluster:
    @contextmanager
    def start() -> Iterator[list[str]]:
        with running_replicas(db_url, 3, logs) as replicas:
            yield [r.url for r in replicas]

    return start


def _publish(http: httpx.Client, goal: str, payload: dict[str, object]) -> None:
    body: dict[str, object] = {"goal": goal, "namespace": "limits", "payload": payload}
    if "key" in payload:
        body["concurrency_key"] = payload["key"]
    sent = http.post("/intent", json=body)
    assert sent.status_code == 201, sent.text


def _run_pool(
    urls: list[str], key: str, goal: str, payloads: list[dict[str, object]]
) -> LimitHistory:
    """Publishes the pool's intents, lets WORKERS workers (spread over the
    replicas) drain it, then stops them with one `stop` intent each."""
    history = LimitHistory()
    with httpx.Client(
        base_url=urls[0], headers={protocol.HEADER_API_KEY: key}, timeout=30
    ) as http:
        for payload in payloads:
            _publish(http, goal, payload)
        query = {"namespace": "limits", "goal": goal}
        threads = [
            threading.Thread(
                target=limited_worker,
                args=(
                    urls[i % len(urls)],
                    key,
                    query,
                    (WORK_SECONDS, REST_SECONDS, WAIT_SECONDS),
                    history,
                ),
            )
            for i in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        deadline = 60.0
        step = 0.1
        while len(history.runs) < len(payloads) and deadline > 0 and not history.errors:
            threading.Event().wait(step)
            deadline -= step
        cleared = http.delete(f"/limits?namespace=limits&goal={goal}")
        assert cleared.status_code == 200, cleared.text
        for _ in threads:
            _publish(http, goal, {"stop": True})
        for thread in threads:
            thread.join(timeout=60)
    assert not history.errors, history.errors
    assert len(history.runs) == len(payloads)
    assert len({run.intent_id for run in history.runs}) == len(payloads)
    return history


def run_limits(cluster: Cluster, admin_key: str) -> dict[str, float]:
    with cluster() as urls:
        created = httpx.post(
            f"{urls[0]}/admin/keys",
            json={"owner": "limited"},
            headers={protocol.HEADER_API_KEY: admin_key},
        )
        assert created.status_code == 201, created.text
        key = created.json()["api_key"]
        tenant = {protocol.HEADER_API_KEY: key}
        for goal, body in (
            ("capped", {"max_running": MAX_RUNNING}),
            ("keyed", {"max_running": WORKERS, "max_per_key": MAX_PER_KEY}),
        ):
            put = httpx.put(
                f"{urls[-1]}/limits",
                json={"namespace": "limits", "goal": goal, **body},
                headers=tenant,
            )
            assert put.status_code == 200, put.text

        capped = _run_pool(urls, key, "capped", [{"n": n} for n in range(INTENTS)])
        keyed_payloads: list[dict[str, object]] = [
            {"key": k, "n": n} for n in range(KEYED_INTENTS) for k in KEYS
        ]
        keyed = _run_pool(urls, key, "keyed", keyed_payloads)

    figures = {
        "capped_peak": max_overlap(capped.runs),
        "capped_idle": longest_idle_slot(capped.runs, MAX_RUNNING),
        "keyed_peak": max(
            max_overlap([r for r in keyed.runs if r.key == k]) for k in KEYS
        ),
        "keyed_idle": max(
            longest_idle_slot([r for r in keyed.runs if r.key == k], MAX_PER_KEY)
            for k in KEYS
        ),
    }
    print(f"\nlimit history: {figures}")
    assert figures["capped_peak"] == MAX_RUNNING, figures  # reached, never passed
    assert figures["keyed_peak"] == MAX_PER_KEY, figures
    assert figures["capped_idle"] < IDLE_BOUND, figures
    assert figures["keyed_idle"] < IDLE_BOUND, figures
    return figures


def test_limits_hold_under_16_workers_on_sqlite(tmp_path: Path) -> None:
    admin_key = "ak_limits_" + tmp_path.name
    run_limits(_sqlite_cluster(tmp_path / "bus.db", admin_key), admin_key)


@pytest.mark.postgres
def test_limits_hold_under_16_workers_on_three_postgres_replicas(
    tmp_path: Path,
) -> None:
    with fresh_postgres_database() as db_url:
        run_limits(_postgres_cluster(db_url, tmp_path), REPLICAS_ADMIN_KEY)
