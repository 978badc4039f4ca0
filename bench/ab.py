"""A/B benchmark of two checkouts in one run: jobs/s, server CPU per request
and the p99.9 latency.

One server per checkout runs throughout (its own `.venv` and a fresh SQLite
file); every load phase runs on both back to back, A B then B A in the next
round, with the same client (`e2e.job_loop` and `e2e.health_loop`, unsigned
and signed); medians over the rounds are reported. The server's CPU
time (user + system, from /proc) over each phase, divided by the requests
served, is its cost per request, which the machine's noise disturbs less than
throughput does.

With ``--db postgresql://...`` each side gets a fresh database of its own on
that server instead, and the CPU of the PostgreSQL backends serving that
database is reported too (``*_db_cpu_us_per_request``), so a change that moves
work from the server into the database does not look free.

Usage:
    .venv/bin/python bench/ab.py /work/main . --rounds 2 --duration 4
    .venv/bin/python bench/ab.py /work/main . \
        --db postgresql://postgres@127.0.0.1:5432/test --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import (
    create_tenant,
    drop_db,
    free_port,
    fresh_db,
    health_loop,
    job_loop,
    pct,
    server_env,
    wait_healthy,
)
from rawhttp import RawConnection

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def backend_cpu(admin_url: str | None, db_url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `db_url`'s database."""
    if admin_url is None:
        return {}
    import psycopg

    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchall()
    found: dict[int, float] = {}
    for (pid,) in rows:
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:  # ended meanwhile
            pass
    return found


async def phase(
    side: tuple[int, int, str, str],
    admin_url: str | None,
    loops: int,
    duration: float,
    kind: str,
) -> tuple[float, float, float, float]:
    """Runs one load phase; returns (units per second, server CPU us per
    request, database backends' CPU us per request, p99.9 latency in ms of the
    job loop's requests)."""
    pid, port, key, db_url = side
    signed = kind == "signed"
    conns = [RawConnection("127.0.0.1", port, key, signed=signed) for _ in range(loops)]
    lat: dict[str, list[float]] = defaultdict(list)
    goal = f"ab_{secrets.token_hex(3)}"
    db0 = backend_cpu(admin_url, db_url)
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    stop_at = t0 + duration
    if kind == "healthz":
        counts = await asyncio.gather(*(health_loop(c, stop_at) for c in conns))
        requests = sum(counts)
    else:
        counts = await asyncio.gather(*(job_loop(c, goal, stop_at, lat) for c in conns))
        requests = sum(len(v) for v in lat.values())
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    db1 = backend_cpu(admin_url, db_url)
    db_cpu = sum(spent - db0.get(backend, 0.0) for backend, spent in db1.items())
    for conn in conns:
        await conn.close()
    per = 1e6 / max(requests, 1)
    latencies = [v for values in lat.values() for v in values]
    tail = pct(latencies, 99.9) * 1000 if latencies else 0.0
    return sum(counts) / elapsed, cpu * per, db_cpu * per, tail


@contextmanager
def server(
    tree: Path, tmp: str, admin_url: str | None
) -> Iterator[tuple[int, int, str, str]]:
    """A server of `tree` on a fresh SQLite file or PostgreSQL database; yields
    (pid, port, tenant key, database URL)."""
    port = free_port()
    db_url = (
        f"sqlite:///{tmp}/{port}.db"
        if admin_url is None
        else fresh_db(admin_url, Path(tmp))
    )
    python = tree / ".venv" / "bin" / "python"
    cmd = [str(python), "-m", "intent_bus.server", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--db", db_url]
    proc = subprocess.Popen(
        cmd,
        env=server_env(),
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(port)
        yield proc.pid, port, create_tenant(port), db_url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if admin_url is not None:
            drop_db(db_url, admin_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path, help="baseline checkout (with .venv)")
    parser.add_argument("b", type=Path, help="candidate checkout (with .venv)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 4, 16],
    )
    parser.add_argument(
        "--kinds",
        type=lambda s: s.split(","),
        default=["unsigned", "signed", "healthz"],
        help="load phases, of unsigned, signed, healthz",
    )
    parser.add_argument(
        "--db",
        default="sqlite",
        help="'sqlite' or a postgresql:// URL on which to create each side's database",
    )
    args = parser.parse_args()
    admin_url = None if args.db == "sqlite" else args.db
    samples: dict[str, dict[str, list[tuple[float, float, float, float]]]] = (
        defaultdict(lambda: {"a": [], "b": []})
    )
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sides = {
            side: stack.enter_context(
                server(getattr(args, side).resolve(), tmp, admin_url)
            )
            for side in ("a", "b")
        }
        for round_ in range(args.rounds):
            for loops in args.concurrency:
                for kind in args.kinds:
                    # Both sides back to back, in alternating order, so that
                    # the machine's other load falls on both alike.
                    order = ("a", "b") if round_ % 2 == 0 else ("b", "a")
                    for side in order:
                        samples[f"{kind}@{loops}"][side].append(
                            asyncio.run(
                                phase(
                                    sides[side], admin_url, loops, args.duration, kind
                                )
                            )
                        )
    report: dict[str, Any] = {}
    for name, by_side in samples.items():
        a_rate = median(sample[0] for sample in by_side["a"])
        b_rate = median(sample[0] for sample in by_side["b"])
        a_cpu = median(sample[1] for sample in by_side["a"])
        b_cpu = median(sample[1] for sample in by_side["b"])
        pairs = list(zip(by_side["a"], by_side["b"], strict=True))
        report[name] = {
            "a_per_s": round(a_rate, 1),
            "b_per_s": round(b_rate, 1),
            # Medians of each round's own ratio: the two runs of a round are
            # back to back, so slow swings of the machine's load cancel out.
            "ratio_b_a": round(median(b[0] / a[0] for a, b in pairs), 3),
            "a_cpu_us_per_request": round(a_cpu),
            "b_cpu_us_per_request": round(b_cpu),
            "cpu_ratio_b_a": round(median(b[1] / a[1] for a, b in pairs), 3),
        }
        if not name.startswith("healthz"):
            # 1 request in 1,000 waits longer: where a stall shows.
            report[name]["a_p999_ms"] = round(median(s[3] for s in by_side["a"]), 1)
            report[name]["b_p999_ms"] = round(median(s[3] for s in by_side["b"]), 1)
        if admin_url is not None:
            report[name]["a_db_cpu_us_per_request"] = round(
                median(sample[2] for sample in by_side["a"])
            )
            report[name]["b_db_cpu_us_per_request"] = round(
                median(sample[2] for sample in by_side["b"])
            )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
