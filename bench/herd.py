"""The long-poll herd: does another tenant's idle workers slow a tenant down?

Alice publishes as fast as she can while Bob keeps 0, 10, 100 and 1,000 idle
long-polling claims open (one asyncio connection each, re-claiming with
`wait=30` whenever a claim ends). Reported per level: Alice's publishes/s, p50/p99
publish latency, and the server's CPU per publish (from /proc), each also as a
ratio to the level with no waiters. Flat ratios mean idle workers cost nothing.

Usage:
    .venv/bin/python bench/herd.py                        # SQLite
    .venv/bin/python bench/herd.py --db postgresql://postgres@127.0.0.1:5432/test

On PostgreSQL a fresh database is created beside the one named, and dropped.
Results are printed and written as JSON to bench/results/. Keep a run short:
about 40 s per backend with the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import ADMIN_KEY, ROOT, free_port, pct, server_env, wait_healthy
from rawhttp import RawConnection

LEVELS = (0, 10, 100, 1000)
PUBLISHERS = 4


def create_key(port: int, owner: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/admin/keys",
        data=json.dumps({"owner": owner}).encode(),
        headers={"X-API-KEY": ADMIN_KEY, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        key: str = json.loads(response.read())["api_key"]
        return key


def metric(port: int, name: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f"{name} "):
                return int(float(line.split()[1]))
    raise RuntimeError(f"/metrics lacks {name}")


def waiters(port: int) -> int:
    return metric(port, "intent_bus_claim_waiters")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def idle_worker(conn: RawConnection, stop: asyncio.Event) -> None:
    """Bob's worker: long-polls for goal-less work of his own, forever."""
    while not stop.is_set():
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await conn.request("POST", "/claim?namespace=bob&wait=30")


async def publisher(conn: RawConnection, stop_at: float, latencies: list[float]) -> int:
    done = 0
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        status, _, _ = await conn.request(
            "POST", "/intent", {"goal": "herd", "payload": {"n": done}}
        )
        latencies.append(time.perf_counter() - started)
        assert status == 201, status
        done += 1
    return done


async def level(
    port: int, pid: int, alice: str, bob: str, idle: int, seconds: float
) -> dict[str, Any]:
    stop = asyncio.Event()
    looked = metric(port, "intent_bus_claim_looks_total")
    bobs = [RawConnection("127.0.0.1", port, bob) for _ in range(idle)]
    tasks = [asyncio.create_task(idle_worker(conn, stop)) for conn in bobs]
    deadline = time.monotonic() + 60
    # Measure once every waiter has made its first lookup and sleeps.
    while (
        waiters(port) < idle
        or metric(port, "intent_bus_claim_looks_total") < looked + idle
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {waiters(port)} of {idle} waiters arrived")
        await asyncio.sleep(0.1)
    conns = [RawConnection("127.0.0.1", port, alice) for _ in range(PUBLISHERS)]
    latencies: list[float] = []
    cpu_before = cpu_seconds(pid)
    looks_before = metric(port, "intent_bus_claim_looks_total")
    started = time.perf_counter()
    stop_at = started + seconds
    counts = await asyncio.gather(*(publisher(c, stop_at, latencies) for c in conns))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    held = waiters(port)
    looks = metric(port, "intent_bus_claim_looks_total") - looks_before
    stop.set()
    for conn in [*conns, *bobs]:
        await conn.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    published = sum(counts)
    return {
        "idle_waiters": idle,
        "waiters_seen_after": held,
        "claim_lookups_during_run": looks,
        "publishes_per_s": round(published / elapsed, 1),
        "publish_p50_ms": round(pct(latencies, 50) * 1000, 2),
        "publish_p99_ms": round(pct(latencies, 99) * 1000, 2),
        "server_cpu_ms_per_publish": round(cpu / published * 1000, 3),
    }


@contextlib.contextmanager
def database(db: str | None) -> Iterator[str]:
    """SQLite in a temp dir, or a fresh PostgreSQL database beside `db`."""
    if db is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/herd.db"
        return
    import psycopg

    name = f"ib_herd_{secrets.token_hex(6)}"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(db)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server(db_url: str) -> Iterator[tuple[int, int]]:
    """One server process; yields its port and pid (for its CPU time)."""
    port = free_port()
    cmd = [sys.executable, "-m", "intent_bus.server", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--db", db_url]
    proc = subprocess.Popen(cmd, env=server_env(), cwd=ROOT)
    try:
        wait_healthy(port)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def run(
    port: int, pid: int, seconds: float, levels: list[int]
) -> list[dict[str, Any]]:
    alice, bob = create_key(port, "alice"), create_key(port, "bob")
    rows = []
    for idle in levels:
        row = await level(port, pid, alice, bob, idle, seconds)
        print(json.dumps(row), flush=True)
        rows.append(row)
    base = rows[0]
    for row in rows:
        row["ratio_publishes"] = round(
            row["publishes_per_s"] / base["publishes_per_s"], 2
        )
        row["ratio_cpu_per_publish"] = round(
            row["server_cpu_ms_per_publish"] / base["server_cpu_ms_per_publish"], 2
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a PostgreSQL URL; SQLite when absent")
    parser.add_argument("--seconds", type=float, default=6.0, help="per level")
    parser.add_argument(
        "--levels",
        default=",".join(map(str, LEVELS)),
        help="idle waiter counts, comma-separated; the first is the baseline",
    )
    args = parser.parse_args()
    backend = "postgres" if args.db else "sqlite"
    with database(args.db) as url, server(url) as (port, pid):
        levels = [int(n) for n in args.levels.split(",")]
        rows = asyncio.run(run(port, pid, args.seconds, levels))
    print(f"\n{backend}: idle waiters -> publishes/s (ratio), CPU ms/publish (ratio)")
    for row in rows:
        print(
            f"{row['idle_waiters']:>6} -> {row['publishes_per_s']:>8} "
            f"({row['ratio_publishes']}), {row['server_cpu_ms_per_publish']} "
            f"({row['ratio_cpu_per_publish']}), p99 {row['publish_p99_ms']} ms, "
            f"{row['claim_lookups_during_run']} claim lookups"
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    path = out / f"herd_{backend}_{int(time.time())}.json"
    path.write_text(json.dumps({"backend": backend, "levels": rows}, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
