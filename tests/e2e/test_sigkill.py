"""SIGKILL under load loses nothing the server acknowledged.

Publishers and workers hammer a real server process; it is killed with SIGKILL
mid-load and restarted on the same SQLite file. Every intent answered with 201
must exist, and every fulfill answered with 200 must be fulfilled with its result.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.harness import ServerProcess

ADMIN_KEY = "ak_sigkill_" + uuid.uuid4().hex


class Ledger:
    """What the server acknowledged, recorded by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.published: set[str] = set()
        self.fulfilled: dict[str, dict[str, str]] = {}
        self.stop = threading.Event()


def publisher(url: str, key: str, ledger: Ledger) -> None:
    with httpx.Client(base_url=url, headers={"X-API-KEY": key}, timeout=5) as http:
        while not ledger.stop.is_set():
            try:
                response = http.post(
                    "/intent",
                    json={"goal": "load", "payload": {"n": uuid.uuid4().hex}},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
            except httpx.TransportError:
                return  # the server is gone: nothing more can be acknowledged
            if response.status_code == 201:
                with ledger.lock:
                    ledger.published.add(response.json()["id"])


def worker(url: str, key: str, ledger: Ledger) -> None:
    with httpx.Client(base_url=url, headers={"X-API-KEY": key}, timeout=5) as http:
        while not ledger.stop.is_set():
            try:
                claimed = http.post("/claim?goal=load&wait=1")
                if claimed.status_code != 200:
                    continue
                job = claimed.json()
                result = {"worker": threading.current_thread().name, "id": job["id"]}
                done = http.post(
                    f"/fulfill/{job['id']}",
                    json={"claim_token": job["claim_token"], "result": result},
                )
            except httpx.TransportError:
                return
            if done.status_code == 200:
                with ledger.lock:
                    ledger.fulfilled[job["id"]] = result


@pytest.mark.slow
def test_sigkill_mid_load_loses_no_acknowledged_intent_or_result(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bus.db"
    server = ServerProcess(db, admin_key=ADMIN_KEY)
    ledger = Ledger()
    threads: list[threading.Thread] = []
    try:
        created = httpx.post(
            f"{server.url}/admin/keys",
            json={"owner": "load"},
            headers={"X-API-KEY": ADMIN_KEY},
        )
        key = created.json()["api_key"]
        for i in range(4):
            threads.append(
                threading.Thread(
                    target=publisher, args=(server.url, key, ledger), name=f"p{i}"
                )
            )
            threads.append(
                threading.Thread(
                    target=worker, args=(server.url, key, ledger), name=f"w{i}"
                )
            )
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with ledger.lock:
                if len(ledger.published) >= 150 and len(ledger.fulfilled) >= 50:
                    break
            time.sleep(0.05)
        server.kill()  # mid-load: requests are in flight right now
    finally:
        ledger.stop.set()
        server.kill()
        for thread in threads:
            thread.join(timeout=30)
    assert len(ledger.published) >= 150 and len(ledger.fulfilled) >= 50

    restarted = ServerProcess(db, admin_key=ADMIN_KEY)
    try:
        with httpx.Client(
            base_url=restarted.url, headers={"X-API-KEY": key}, timeout=10
        ) as http:
            for intent_id in ledger.published:
                response = http.get(f"/status/{intent_id}")
                assert response.status_code == 200, intent_id
            for intent_id, result in ledger.fulfilled.items():
                view = http.get(f"/result/{intent_id}").json()
                assert view["status"] == "fulfilled", view
                assert view["result"] == result
    finally:
        restarted.stop()
