"""A/B benchmark of two checkouts in one run: jobs/s and server CPU per request.

One server per checkout runs throughout (its own `.venv` and a fresh SQLite
file); every load phase runs on both back to back, A B then B A in the next
round, with the same client (`e2e.job_loop` and `e2e.health_loop`, unsigned
and signed); medians over the rounds are reported. The server's CPU
time (user + system, from /proc) over each phase, divided by the requests
served, is its cost per request, which the machine's noise disturbs less than
throughput does.

Usage:
    .venv/bin/python bench/ab.py /work/main . --rounds 2 --duration 4
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
    free_port,
    health_loop,
    job_loop,
    server_env,
    wait_healthy,
)
from rawhttp import RawConnection

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def phase(
    pid: int, port: int, key: str, loops: int, duration: float, kind: str
) -> tuple[float, float]:
    """Runs one load phase; returns (units per second, server CPU us per request)."""
    signed = kind == "signed"
    conns = [RawConnection("127.0.0.1", port, key, signed=signed) for _ in range(loops)]
    lat: dict[str, list[float]] = defaultdict(list)
    goal = f"ab_{secrets.token_hex(3)}"
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    stop_at = t0 + duration
    if kind == "healthz":
        counts = await asyncio.gather(*(health_loop(c, stop_at) for c in conns))
        requests = sum(counts)
    else:
        counts = await asyncio.gather(*(job_loop(c, goal, stop_at, lat) for c in conns))
        requests = sum(len(v) for v in lat.values())
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    for conn in conns:
        await conn.close()
    return sum(counts) / elapsed, cpu / max(requests, 1) * 1e6


@contextmanager
def server(tree: Path, tmp: str) -> Iterator[tuple[int, int, str]]:
    """A server of `tree` on a fresh SQLite file; yields (pid, port, tenant key)."""
    port = free_port()
    python = tree / ".venv" / "bin" / "python"
    cmd = [str(python), "-m", "intent_bus.server", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--db", f"sqlite:///{tmp}/{port}.db"]
    proc = subprocess.Popen(
        cmd,
        env=server_env(),
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(port)
        yield proc.pid, port, create_tenant(port)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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
    args = parser.parse_args()
    samples: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(
        lambda: {"a": [], "b": []}
    )
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sides = {
            side: stack.enter_context(server(getattr(args, side).resolve(), tmp))
            for side in ("a", "b")
        }
        for round_ in range(args.rounds):
            for loops in args.concurrency:
                for kind in ("unsigned", "signed", "healthz"):
                    # Both sides back to back, in alternating order, so that
                    # the machine's other load falls on both alike.
                    order = ("a", "b") if round_ % 2 == 0 else ("b", "a")
                    for side in order:
                        pid, port, key = sides[side]
                        samples[f"{kind}@{loops}"][side].append(
                            asyncio.run(
                                phase(pid, port, key, loops, args.duration, kind)
                            )
                        )
    report: dict[str, Any] = {}
    for name, by_side in samples.items():
        a_rate = median(rate for rate, _ in by_side["a"])
        b_rate = median(rate for rate, _ in by_side["b"])
        a_cpu = median(cpu for _, cpu in by_side["a"])
        b_cpu = median(cpu for _, cpu in by_side["b"])
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
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
