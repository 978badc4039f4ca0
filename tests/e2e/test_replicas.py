"""Several server processes on one PostgreSQL database behave as one bus.

Three real server processes share a database; workers spread over them claim on
one replica and fulfill on another. Every intent acknowledged with 201 must end
fulfilled by exactly one successful fulfill, also when a replica is SIGKILLed in
the middle with leases outstanding: those leases expire and other replicas finish
the work. Stale leases are refused; idempotency keys, nonces and long-poll
wake-ups work across replicas.
"""

from __future__ import annotations

import collections
import itertools
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from intent_bus import protocol
from tests.harness import TEST_KEK
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "ak_replicas_" + secrets.token_hex(8)
CLAIM_TIMEOUT = 3
NAMESPACE = "replicas"


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(replica: Replica, deadline: float) -> None:
    while time.monotonic() < deadline:
        if replica.proc.poll() is not None:
            break
        try:
            if httpx.get(f"{replica.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(
        f"replica {replica.url} did not start:\n{replica.log.read_text()}"
    )


@contextmanager
def running_replicas(db_url: str, count: int, logs: Path) -> Iterator[list[Replica]]:
    """Starts `count` server processes on one database at once; stops them all."""
    env = {
        **os.environ,
        "INTENT_BUS_ADMIN_KEY": ADMIN_KEY,
        "INTENT_BUS_KEK": TEST_KEK,
        "PYTHONPATH": str(ROOT),
    }
    started: list[Replica] = []
    try:
        for index in range(count):
            port = _free_port()
            log = logs / f"replica-{index}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "intent_bus.server",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--db",
                        db_url,
                        "--claim-timeout",
                        str(CLAIM_TIMEOUT),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append(Replica(f"http://127.0.0.1:{port}", proc, log))
        deadline = time.monotonic() + 60
        for replica in started:
            _wait_healthy(replica, deadline)
        yield started
    finally:
        for replica in started:
            if replica.proc.poll() is None:
                replica.proc.send_signal(signal.SIGTERM)
        for replica in started:
            try:
                replica.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                replica.proc.kill()
                replica.proc.wait(timeout=5)


def _tenant(replica: Replica) -> str:
    response = httpx.post(
        f"{replica.url}/admin/keys",
        json={"owner": f"replicas-{secrets.token_hex(3)}"},
        headers={"X-API-KEY": ADMIN_KEY},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["api_key"]
    return key


@dataclass
class Ledger:
    """What the clients saw; shared by all threads (list.append is atomic)."""

    acked: list[str] = field(default_factory=list)
    fulfilled: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)


def _rotation(urls: list[str], start: int) -> Iterator[str]:
    """Replicas starting at `start`, forever: a client-side load balancer."""
    return itertools.islice(itertools.cycle(urls), start, None)


def _publish(
    ledger: Ledger, urls: list[str], key: str, numbers: range, home: int
) -> None:
    """Publishes with an idempotency key; a publish that hit a dying replica is
    retried on the next one with the same key, so it creates one intent."""
    headers = {"X-API-KEY": key}
    replicas = _rotation(urls, home)
    with httpx.Client(timeout=30) as client:
        for n in numbers:
            idem = uuid.uuid4().hex
            body = {"goal": "replica-test", "payload": {"n": n}, "namespace": NAMESPACE}
            for _attempt in range(10):
                url = next(replicas)
                if url in ledger.down:
                    continue
                try:
                    response = client.post(
                        f"{url}/intent",
                        json=body,
                        headers={**headers, "Idempotency-Key": idem},
                    )
                except httpx.TransportError:
                    ledger.down.add(url)
                    continue
                if response.status_code == 201:
                    ledger.acked.append(response.json()["id"])
                else:
                    ledger.errors.append(
                        f"publish {response.status_code} {response.text}"
                    )
                break
            else:
                ledger.errors.append(f"publish {n} found no replica")


def _work(ledger: Ledger, urls: list[str], key: str, home: int) -> None:
    """Claims on one replica and fulfills on the next, until told to stop."""
    headers = {"X-API-KEY": key, "X-Worker-ID": f"worker-{home}"}
    replicas = _rotation(urls, home)
    with httpx.Client(timeout=30) as client:
        while not ledger.stop.is_set():
            url = next(replicas)
            if url in ledger.down:
                continue
            try:
                response = client.post(
                    f"{url}/claim",
                    params={"namespace": NAMESPACE, "wait": 1},
                    headers=headers,
                )
            except httpx.TransportError:
                ledger.down.add(url)
                continue
            if response.status_code == 204:
                continue
            if response.status_code != 200:
                ledger.errors.append(f"claim {response.status_code} {response.text}")
                continue
            lease = response.json()
            body = {
                "claim_token": lease["claim_token"],
                "result_type": "json",
                "result": 1,
            }
            for other in itertools.islice(replicas, len(urls)):
                if other in ledger.down:
                    continue
                try:
                    done = client.post(
                        f"{other}/fulfill/{lease['id']}", json=body, headers=headers
                    )
                except httpx.TransportError:
                    # The replica died with our request in flight: it may or may
                    # not have committed. Leave the intent to the lease timeout.
                    ledger.down.add(other)
                    ledger.uncertain.append(lease["id"])
                    break
                if done.status_code == 200:
                    ledger.fulfilled.append(lease["id"])
                elif done.status_code == 404:
                    ledger.refused.append(lease["id"])
                else:
                    ledger.errors.append(f"fulfill {done.status_code} {done.text}")
                break


def _statuses(db_url: str) -> dict[str, tuple[str, int]]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT id, status, claim_attempts FROM intents").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def _run_bus(
    db_url: str,
    replicas: list[Replica],
    key: str,
    total: int,
    workers: int,
    midway: threading.Event | None = None,
    deadline_s: float = 150.0,
) -> Ledger:
    """Publishes `total` intents across the replicas while `workers` work them off."""
    urls = [replica.url for replica in replicas]
    ledger = Ledger()
    publishers = 4
    chunks = [range(i, total, publishers) for i in range(publishers)]
    threads = [
        threading.Thread(target=_publish, args=(ledger, urls, key, chunk, i))
        for i, chunk in enumerate(chunks)
    ] + [
        threading.Thread(target=_work, args=(ledger, urls, key, i))
        for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + deadline_s
    try:
        while time.monotonic() < deadline:
            finished = len(set(ledger.fulfilled) | set(ledger.uncertain))
            if midway is not None and not midway.is_set() and finished >= total // 3:
                midway.set()
            publishing = any(t.is_alive() for t in threads[:publishers])
            if not publishing and len(ledger.acked) == total:
                # Uncertain fulfills may have committed; the database decides.
                statuses = _statuses(db_url)
                if all(
                    statuses.get(i, ("?", 0))[0] == "fulfilled" for i in ledger.acked
                ):
                    break
            time.sleep(0.25)
    finally:
        ledger.stop.set()
        for thread in threads:
            thread.join(timeout=40)
    return ledger


def _assert_each_fulfilled_once(db_url: str, ledger: Ledger, total: int) -> None:
    assert not ledger.errors, ledger.errors[:5]
    assert len(ledger.acked) == total
    assert len(set(ledger.acked)) == total
    twice = [i for i, n in collections.Counter(ledger.fulfilled).items() if n > 1]
    assert not twice, f"intents fulfilled twice: {twice[:5]}"
    statuses = _statuses(db_url)
    assert len(statuses) == total, "an intent was created twice or lost"
    not_done = [
        i for i in ledger.acked if statuses.get(i, ("missing", 0))[0] != "fulfilled"
    ]
    assert not not_done, f"{len(not_done)} acknowledged intents not fulfilled"
    # Every fulfilled intent got exactly one 200, unless its fulfill was in flight
    # on a replica that died (then the database says whether it committed).
    unaccounted = set(ledger.acked) - set(ledger.fulfilled) - set(ledger.uncertain)
    assert not unaccounted, (
        f"fulfilled without a successful fulfill: {list(unaccounted)[:5]}"
    )


@pytest.fixture
def db_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


def test_three_replicas_fulfill_every_intent_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    total = 2000
    with running_replicas(db_url, 3, tmp_path) as replicas:
        key = _tenant(replicas[0])
        started = time.monotonic()
        ledger = _run_bus(db_url, replicas, key, total=total, workers=8)
        elapsed = time.monotonic() - started
        _assert_each_fulfilled_once(db_url, ledger, total)
        assert not ledger.uncertain
        print(
            f"\n{total} intents through 3 replicas in {elapsed:.1f}s "
            f"({total / elapsed:.0f}/s), {len(ledger.refused)} stale fulfills refused"
        )


def test_a_stale_lease_is_refused_on_every_replica(db_url: str, tmp_path: Path) -> None:
    with running_replicas(db_url, 3, tmp_path) as replicas:
        a, b, c = (replica.url for replica in replicas)
        headers = {"X-API-KEY": _tenant(replicas[0])}
        published = httpx.post(
            f"{a}/intent", json={"goal": "stale", "payload": 1}, headers=headers
        )
        assert published.status_code == 201, published.text
        first = httpx.post(
            f"{a}/claim", params={"namespace": "default"}, headers=headers
        )
        assert first.status_code == 200, first.text
        # The first lease expires; another replica hands the intent out again.
        deadline = time.monotonic() + 30
        while True:
            second = httpx.post(
                f"{b}/claim",
                params={"namespace": "default", "wait": 2},
                headers=headers,
            )
            if second.status_code == 200 or time.monotonic() > deadline:
                break
        assert second.status_code == 200, second.text
        assert second.json()["claim_attempts"] == 2
        stale = {"claim_token": first.json()["claim_token"], "result_type": "json"}
        for url in (a, b, c):
            refused = httpx.post(
                f"{url}/fulfill/{published.json()['id']}", json=stale, headers=headers
            )
            assert refused.status_code == 404
            assert refused.json()["error"]["code"] == "lease_lost"
        fresh = {"claim_token": second.json()["claim_token"], "result_type": "json"}
        done = httpx.post(
            f"{c}/fulfill/{published.json()['id']}", json=fresh, headers=headers
        )
        assert done.status_code == 200, done.text
        # The same completion retried (a lost answer) is answered as it was,
        # on any replica; a different outcome with that token is still refused.
        again = httpx.post(
            f"{a}/fulfill/{published.json()['id']}", json=fresh, headers=headers
        )
        assert again.status_code == 200 and again.json() == done.json()
        other = httpx.post(
            f"{b}/fail/{published.json()['id']}",
            json={"claim_token": fresh["claim_token"], "error": "late"},
            headers=headers,
        )
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "lease_lost"


def test_sigkill_of_a_replica_loses_nothing_acknowledged(
    db_url: str, tmp_path: Path
) -> None:
    total = 2000
    with running_replicas(db_url, 3, tmp_path) as replicas:
        key = _tenant(replicas[0])
        victim = replicas[2]
        midway = threading.Event()
        orphaned: list[str] = []

        def kill_midway() -> None:
            midway.wait(timeout=120)
            # Leases handed out by the victim and never to be finished by their
            # holder: they must come back after the lease timeout.
            with httpx.Client(timeout=10) as client:
                give_up = time.monotonic() + 20
                while len(orphaned) < 5 and time.monotonic() < give_up:
                    claimed = client.post(
                        f"{victim.url}/claim",
                        params={"namespace": NAMESPACE, "wait": 1},
                        headers={"X-API-KEY": key},
                    )
                    if claimed.status_code == 200:
                        orphaned.append(claimed.json()["id"])
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait(timeout=10)

        killer = threading.Thread(target=kill_midway)
        killer.start()
        ledger = _run_bus(db_url, replicas, key, total=total, workers=8, midway=midway)
        killer.join(timeout=30)
        assert victim.proc.returncode == -signal.SIGKILL
        _assert_each_fulfilled_once(db_url, ledger, total)
        assert orphaned, "the victim leased nothing before it died"
        statuses = _statuses(db_url)
        for intent_id in orphaned:
            status, attempts = statuses[intent_id]
            assert status == "fulfilled"
            assert attempts >= 2, "an orphaned lease was finished without a re-claim"


def _signed(
    key: str, method: str, path: str, body: bytes, nonce: str
) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = protocol.sign(key, method, path, timestamp, nonce, body)
    return {
        "X-API-KEY": key,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": signature,
        "Content-Type": "application/json",
    }


def test_replicas_share_idempotency_nonces_and_wake_ups(
    db_url: str, tmp_path: Path
) -> None:
    with running_replicas(db_url, 3, tmp_path) as replicas:
        a, b, c = (replica.url for replica in replicas)
        key = _tenant(replicas[0])
        headers = {"X-API-KEY": key}

        # An idempotency key replays on another replica and conflicts on a third.
        idem = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        body = {"goal": "idem", "payload": {"x": 1}}
        first = httpx.post(f"{a}/intent", json=body, headers=idem)
        replay = httpx.post(f"{b}/intent", json=body, headers=idem)
        assert first.status_code == replay.status_code == 201
        assert replay.json() == first.json()
        other = httpx.post(f"{c}/intent", json={**body, "payload": 2}, headers=idem)
        assert other.status_code == 409

        # A nonce used on one replica is refused on another.
        raw = b'{"ttl":60,"value":1}'
        signed = _signed(key, "POST", "/set/k", raw, nonce=uuid.uuid4().hex)
        assert httpx.post(f"{a}/set/k", content=raw, headers=signed).status_code == 200
        replayed = httpx.post(f"{b}/set/k", content=raw, headers=signed)
        assert replayed.status_code == 403
        assert replayed.json()["error"]["code"] == "invalid_signature"
        assert httpx.get(f"{c}/get/k", headers=headers).json() == {"value": 1}

        # Drain, then claimers long-polling on B are woken by publishes on A.
        # Drained intents are fulfilled: an unfinished lease would come back.
        while _claim_and_fulfill(c, headers, wait=0):
            pass
        pickups = [_pickup(a, b, headers) for _ in range(10)]
        # A waiting claim also re-checks every second as a safety net, which alone
        # would give a median pickup near half a second; NOTIFY gives milliseconds.
        assert statistics.median(pickups) < 0.25, pickups


def _claim_and_fulfill(
    url: str, headers: dict[str, str], wait: int, seen: dict[str, float] | None = None
) -> bool:
    """Claims one intent of the default namespace and fulfills it; False if none.
    `seen["at"]` records when the claim was answered."""
    params: dict[str, str | int] = {"namespace": "default"}
    if wait:
        params["wait"] = wait
    leased = httpx.post(f"{url}/claim", params=params, headers=headers, timeout=30)
    if seen is not None:
        seen["at"] = time.monotonic()
    if leased.status_code == 204:
        return False
    assert leased.status_code == 200, leased.text
    body = {"claim_token": leased.json()["claim_token"], "result_type": "json"}
    done = httpx.post(
        f"{url}/fulfill/{leased.json()['id']}", json=body, headers=headers
    )
    assert done.status_code == 200, done.text
    return True


def _pickup(publish_on: str, wait_on: str, headers: dict[str, str]) -> float:
    """Seconds from a publish's 201 on one replica to a long-poll claim's 200 on
    another."""
    result: dict[str, float] = {}

    def wait() -> None:
        assert _claim_and_fulfill(wait_on, headers, wait=20, seen=result)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)  # let the claim reach its wait; a late one only claims sooner
    body = {"goal": "wake", "payload": 1}
    assert (
        httpx.post(f"{publish_on}/intent", json=body, headers=headers).status_code
        == 201
    )
    published_at = time.monotonic()
    waiter.join(timeout=30)
    return result["at"] - published_at


def test_a_pause_on_one_replica_is_obeyed_and_lifted_on_another(
    db_url: str, tmp_path: Path
) -> None:
    with running_replicas(db_url, 2, tmp_path) as replicas:
        a, b = (replica.url for replica in replicas)
        headers = {"X-API-KEY": _tenant(replicas[0])}
        pause = {"namespace": "default"}
        assert httpx.post(f"{a}/pause", json=pause, headers=headers).status_code == 200
        job = httpx.post(f"{b}/intent", json={"goal": "g"}, headers=headers).json()
        assert httpx.post(f"{b}/claim", headers=headers).status_code == 204
        assert [
            p["namespace"]
            for p in httpx.get(f"{b}/pauses", headers=headers).json()["pauses"]
        ] == ["default"]

        answers: list[httpx.Response] = []
        waiter = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{b}/claim", params={"wait": 20}, headers=headers, timeout=30
                )
            )
        )
        waiter.start()
        time.sleep(0.5)
        resumed_at = time.monotonic()
        lifted = httpx.post(f"{a}/resume", json=pause, headers=headers)
        assert lifted.json() == {"resumed": True}
        waiter.join(timeout=30)

        assert answers and answers[0].status_code == 200
        assert answers[0].json()["id"] == job["id"]
        # NOTIFY wakes the waiter on B at once, not its 5 s safety re-check.
        assert time.monotonic() - resumed_at < 2.5
