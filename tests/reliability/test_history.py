"""SIGKILL under load, several times: the history checker finds nothing lost.

Each round starts the server(s), runs 3 publishers and 3 workers for a few
seconds, and SIGKILLs every server process mid-load. A last start drains the
bus; `history.check` then judges everything the clients were told. On SQLite
(one process, restarted on the same file) and on two PostgreSQL replicas.
"""

from __future__ import annotations

import threading
import time
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
from tests.reliability.history import History, check, publisher, worker

pytestmark = pytest.mark.slow

ROUNDS = 3
ROUND_SECONDS = 3.0
LEASE = "2"  # seconds: leases cut by a kill expire quickly in the drain

# A cluster: a context that starts the servers and yields their URLs and a
# function that SIGKILLs them all.
Cluster = Callable[[], AbstractContextManager[tuple[list[str], Callable[[], None]]]]


def _sqlite_cluster(db: Path, admin_key: str) -> Cluster:
    @contextmanager
    def start() -> Iterator[tuple[list[str], Callable[[], None]]]:
        server = ServerProcess(
            db, admin_key=admin_key, extra=["--claim-timeout", LEASE]
        )
        try:
            yield [server.url], server.kill
        finally:
            server.kill()

    return start


def _postgres_cluster(db_url: str, logs: Path) -> Cluster:
    @contextmanager
    def start() -> Iterator[tuple[list[str], Callable[[], None]]]:
        with running_replicas(db_url, 2, logs) as replicas:

            def kill() -> None:
                for replica in replicas:
                    replica.proc.kill()
                    replica.proc.wait(timeout=30)

            yield [r.url for r in replicas], kill

    return start


def _load(
    urls: list[str], key: str, history: History, publishers: int
) -> tuple[threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    threads = [
        threading.Thread(target=publisher, args=(urls, key, history, stop))
        for _ in range(publishers)
    ] + [
        threading.Thread(target=worker, args=(urls, key, history, stop))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    return stop, threads


def _unfinished(url: str, admin_key: str) -> int:
    stats = httpx.get(
        f"{url}/admin/stats", headers={protocol.HEADER_API_KEY: admin_key}, timeout=10
    ).json()["by_status"]
    return int(stats.get("open", 0)) + int(stats.get("claimed", 0))


def run_history(cluster: Cluster, admin_key: str) -> dict[str, int]:
    history = History()
    key = ""
    for _ in range(ROUNDS):
        with cluster() as (urls, kill):
            if not key:
                created = httpx.post(
                    f"{urls[0]}/admin/keys",
                    json={"owner": "history"},
                    headers={protocol.HEADER_API_KEY: admin_key},
                )
                assert created.status_code == 201, created.text
                key = created.json()["api_key"]
            stop, threads = _load(urls, key, history, publishers=3)
            time.sleep(ROUND_SECONDS)
            kill()  # mid-load: requests are in flight right now
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    with cluster() as (urls, _kill):
        stop, threads = _load(urls, key, history, publishers=0)
        deadline = time.monotonic() + 60
        while _unfinished(urls[0], admin_key) and time.monotonic() < deadline:
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        figures = check(urls[0], key, admin_key, history)
    figures["kills"] = ROUNDS
    print(f"\nhistory: {figures}")
    assert figures["published"] >= 50 and figures["fulfills"] >= 20, figures
    return figures


def test_history_on_sqlite_survives_repeated_sigkill(tmp_path: Path) -> None:
    admin_key = "ak_history_" + tmp_path.name
    run_history(_sqlite_cluster(tmp_path / "bus.db", admin_key), admin_key)


@pytest.mark.postgres
def test_history_on_two_postgres_replicas_survives_repeated_sigkill(
    tmp_path: Path,
) -> None:
    with fresh_postgres_database() as db_url:
        run_history(_postgres_cluster(db_url, tmp_path), REPLICAS_ADMIN_KEY)
