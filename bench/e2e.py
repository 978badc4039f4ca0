"""End-to-end benchmark: a real server process driven over HTTP from this process.

Measures, on SQLite (default) or PostgreSQL with 1..N replicas:
- jobs/s (publish -> claim -> fulfill) at 1, 4 and 16 concurrent client loops, with
  p50/p99/p99.9 latency per request kind, and the bare `/healthz` request rate at the
  same concurrency as the in-run baseline (a job is three requests);
- pickup latency: publish -> a worker's waiting long-poll claim returns;
- claim latency with few vs very many queued intents, and with a large history of
  finished intents, reported as ratios (the claim must not scan history).

Usage:
    .venv/bin/python bench/e2e.py                       # SQLite, full run
    .venv/bin/python bench/e2e.py --quick               # shorter, 100k instead of 1M
    .venv/bin/python bench/e2e.py --replicas 3 \
        --db postgresql://postgres@127.0.0.1:5432/test

Results are printed and written as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rawhttp import RawConnection

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "ak_bench_" + secrets.token_hex(8)
OWNER = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env() -> dict[str, str]:
    """The environment a benchmark's server runs with: the bench's admin key and,
    for PostgreSQL replicas, one shared key-encryption key (SQLite makes its own)."""
    env = dict(os.environ, INTENT_BUS_ADMIN_KEY=ADMIN_KEY)
    env.setdefault(
        "INTENT_BUS_KEK",
        base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
    )
    return env


@contextmanager
def servers(db_url: str, replicas: int, claim_timeout: int = 60) -> Iterator[list[int]]:
    """Starts `replicas` server processes on one database; yields their ports."""
    env = server_env()
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for _ in range(replicas):
            port = free_port()
            cmd = [sys.executable, "-m", "intent_bus.server", "--host", "127.0.0.1"]
            cmd += ["--port", str(port), "--db", db_url]
            cmd += ["--claim-timeout", str(claim_timeout)]
            procs.append(subprocess.Popen(cmd, env=env, cwd=ROOT))
            ports.append(port)
        for port in ports:
            wait_healthy(port)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_healthy(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not become healthy")


def create_tenant(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/admin/keys",
        data=json.dumps({"owner": OWNER}).encode(),
        headers={"X-API-KEY": ADMIN_KEY, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        key: str = json.loads(response.read())["api_key"]
        return key


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def job_loop(
    conn: RawConnection, goal: str, stop_at: float, lat: dict[str, list[float]]
) -> int:
    done = 0
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        status, _, _ = await conn.request(
            "POST", "/intent", {"goal": goal, "payload": {"n": done}, "namespace": "b"}
        )
        t1 = time.perf_counter()
        assert status == 201, status
        status, _, job = await conn.request("POST", f"/claim?namespace=b&goal={goal}")
        t2 = time.perf_counter()
        lat["publish"].append(t1 - t0)
        lat["claim"].append(t2 - t1)
        if status != 200:
            continue
        status, _, _ = await conn.request(
            "POST",
            f"/fulfill/{job['id']}",
            {"claim_token": job["claim_token"], "result": "ok", "result_type": "text"},
        )
        lat["fulfill"].append(time.perf_counter() - t2)
        if status == 200:
            done += 1
    return done


async def health_loop(conn: RawConnection, stop_at: float) -> int:
    count = 0
    while time.perf_counter() < stop_at:
        await conn.request("GET", "/healthz")
        count += 1
    return count


async def throughput(
    ports: list[int], key: str, concurrency: int, duration: float, signed: bool = False
) -> dict[str, Any]:
    conns = [
        RawConnection("127.0.0.1", ports[i % len(ports)], key, signed=signed)
        for i in range(concurrency)
    ]
    lat: dict[str, list[float]] = defaultdict(list)
    goal = f"bench_{concurrency}_{secrets.token_hex(3)}"
    stop_at = time.perf_counter() + duration
    started = time.perf_counter()
    counts = await asyncio.gather(*(job_loop(c, goal, stop_at, lat) for c in conns))
    elapsed = time.perf_counter() - started
    # Baseline in the same run: bare health requests at the same concurrency.
    stop_at = time.perf_counter() + min(duration, 3.0)
    started_h = time.perf_counter()
    hcounts = await asyncio.gather(*(health_loop(c, stop_at) for c in conns))
    h_elapsed = time.perf_counter() - started_h
    for conn in conns:
        await conn.close()
    jobs_per_s = sum(counts) / elapsed
    health_rps = sum(hcounts) / h_elapsed
    return {
        "concurrency": concurrency,
        "jobs_per_s": round(jobs_per_s, 1),
        "requests_per_s": round(jobs_per_s * 3, 1),
        "healthz_rps_baseline": round(health_rps, 1),
        "ratio_requests_vs_healthz": round(jobs_per_s * 3 / health_rps, 3),
        "latency_ms": {
            kind: {
                "p50": round(pct(v, 50) * 1000, 2),
                "p99": round(pct(v, 99) * 1000, 2),
                "p999": round(pct(v, 99.9) * 1000, 2),
            }
            for kind, v in lat.items()
        },
    }


async def pickup(ports: list[int], key: str, rounds: int) -> dict[str, Any]:
    """Publish on one replica while a worker waits in a long-poll on another."""
    worker = RawConnection("127.0.0.1", ports[-1], key)
    publisher = RawConnection("127.0.0.1", ports[0], key)
    samples: list[float] = []
    goal = f"pickup_{secrets.token_hex(3)}"
    for _ in range(rounds):
        claim = asyncio.create_task(
            worker.request("POST", f"/claim?namespace=p&goal={goal}&wait=10")
        )
        await asyncio.sleep(0.05)  # let the claim start waiting
        t0 = time.perf_counter()
        await publisher.request(
            "POST", "/intent", {"goal": goal, "payload": {}, "namespace": "p"}
        )
        status, _, job = await claim
        samples.append(time.perf_counter() - t0)
        assert status == 200, status
        await worker.request(
            "POST",
            f"/fulfill/{job['id']}",
            {"claim_token": job["claim_token"], "result_type": "json"},
        )
    await worker.close()
    await publisher.close()
    return {
        "rounds": rounds,
        "p50_ms": round(pct(samples, 50) * 1000, 2),
        "p99_ms": round(pct(samples, 99) * 1000, 2),
        "polling_baseline_expected_ms": 2500.0,
    }


async def claim_latency(port: int, key: str, goal: str, rounds: int) -> float:
    conn = RawConnection("127.0.0.1", port, key)
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        status, _, _ = await conn.request("POST", f"/claim?namespace=q&goal={goal}")
        samples.append(time.perf_counter() - t0)
        assert status == 200, status
    await conn.close()
    return pct(samples, 50) * 1000


PREFILL_COLUMNS = (
    "id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,"
    " max_attempts, backoff_base, status, claim_attempts, updated_at, completed_at,"
    " result, result_type"
)


def prefill(db_url: str, count: int, goal: str, status: str) -> None:
    """Inserts `count` intents straight into the database (the server is stopped)."""
    now = time.time()
    done = status == "fulfilled"
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.execute(
            f"""
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
            INSERT INTO intents ({PREFILL_COLUMNS})
            SELECT lower(hex(randomblob(16))), ?, ?, X'7B7D', 'q', 'private', 100,
                   ? + x * 1e-6, ? + x * 1e-6, 3, 5.0, ?, ?, ?, ?, ?, ?
            FROM c
            """,
            (
                count,
                OWNER,
                goal,
                now - 3600,
                now - 3600,
                status,
                int(done),
                now,
                now if done else None,
                b'"ok"' if done else None,
                "json" if done else None,
            ),
        )
        conn.commit()
        conn.close()
    else:
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                f"""
                INSERT INTO intents ({PREFILL_COLUMNS})
                SELECT md5(random()::text || x), %s, %s, '{{}}'::bytea, 'q', 'private',
                       100, %s + x * 1e-6, %s + x * 1e-6, 3, 5.0, %s, %s, %s, %s, %s, %s
                FROM generate_series(1, %s) AS x
                """,
                (
                    OWNER,
                    goal,
                    now - 3600,
                    now - 3600,
                    status,
                    int(done),
                    now,
                    now if done else None,
                    b'"ok"' if done else None,
                    "json" if done else None,
                    count,
                ),
            )
            conn.execute("ANALYZE intents")


async def scaling(db_url: str, small: int, large: int, rounds: int) -> dict[str, Any]:
    """Claim latency with `small` vs `large` queued intents and a large history."""
    results: dict[str, Any] = {}
    plan = [
        ("queued_small", small, "open"),
        ("queued_large", large - small, "open"),
        ("plus_history", large, "fulfilled"),
    ]
    for label, count, status in plan:
        prefill(db_url, count, "scale" if status == "open" else "old", status)
        with servers(db_url, 1) as ports:
            key = create_tenant(ports[0])
            await claim_latency(ports[0], key, "scale", 20)  # warm up
            results[label] = round(
                await claim_latency(ports[0], key, "scale", rounds), 3
            )
    results["ratio_large_vs_small"] = round(
        results["queued_large"] / results["queued_small"], 2
    )
    results["ratio_history_vs_small"] = round(
        results["plus_history"] / results["queued_small"], 2
    )
    results["counts"] = {"small": small, "large": large, "history": large}
    return results


def fresh_db(arg: str, tmp: Path) -> str:
    if arg == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    import psycopg

    name = f"ib_bench_{secrets.token_hex(4)}"
    with psycopg.connect(arg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return arg.rsplit("/", 1)[0] + f"/{name}"


def drop_db(url: str, admin_url: str) -> None:
    if url.startswith("sqlite"):
        return
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "db": args.db.split("://")[0],
        "replicas": args.replicas,
        "signed": args.signed,
    }
    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_db(args.db, Path(tmp))
        try:
            with servers(db_url, args.replicas) as ports:
                key = create_tenant(ports[0])
                report["throughput"] = [
                    await throughput(ports, key, c, args.duration, args.signed)
                    for c in args.concurrency
                ]
                report["pickup"] = await pickup(ports, key, args.pickup_rounds)
            if args.large:
                report["claim_scaling"] = await scaling(db_url, 1000, args.large, 300)
        finally:
            drop_db(db_url, args.db)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db", default="sqlite", help="'sqlite' or a postgresql:// URL"
    )
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 4, 16],
    )
    parser.add_argument("--pickup-rounds", type=int, default=30)
    parser.add_argument(
        "--signed", action="store_true", help="sign every request (strict mode)"
    )
    parser.add_argument(
        "--large",
        type=int,
        default=1_000_000,
        help="queued intents for the scaling test (0 skips it)",
    )
    parser.add_argument("--quick", action="store_true", help="short run, 100k intents")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.large, args.pickup_rounds = 3.0, 100_000, 10
    report = asyncio.run(main_async(args))
    text = json.dumps(report, indent=2)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = f"e2e-{report['db']}-{args.replicas}r-{time.strftime('%Y%m%d-%H%M%S')}.json"
    (out / name).write_text(text)


if __name__ == "__main__":
    main()
