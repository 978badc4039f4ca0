"""Server memory with a large queue: peak RSS with N queued intents on SQLite.

Fills a fresh SQLite database with N open intents (1,000,000 by default) straight
through SQL, starts a real server process on it with the given URL options, drives
claims, fulfills, status reads and the admin stats over HTTP, and reads the
server's peak resident set size (VmHWM) from /proc. Each configuration gets its
own database, so the figures compare side by side in one run.

Usage:
    .venv/bin/python bench/memory.py                     # defaults vs the old sizes
    .venv/bin/python bench/memory.py --queued 200000 --config '?cache_mib=64'
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import ADMIN_KEY, ROOT, create_tenant, free_port, prefill, wait_healthy
from rawhttp import RawConnection

CONFIGS = {
    "defaults": "",
    "before (64 MiB cache, 256 MiB map)": "?cache_mib=64&mmap_mib=256",
}


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


async def workload(port: int, key: str, jobs: int) -> None:
    """Claims and fulfills `jobs` intents, reads their status, asks for stats."""
    conn = RawConnection("127.0.0.1", port, key)
    admin = RawConnection("127.0.0.1", port, ADMIN_KEY)
    for _ in range(jobs):
        status, _, job = await conn.request("POST", "/claim?namespace=q&goal=mem")
        assert status == 200, status
        status, _, _ = await conn.request(
            "POST",
            f"/fulfill/{job['id']}",
            {"claim_token": job["claim_token"], "result": "ok", "result_type": "text"},
        )
        assert status == 200, status
        status, _, _ = await conn.request("GET", f"/status/{job['id']}")
        assert status == 200, status
    status, _, _ = await admin.request("GET", "/admin/stats")
    assert status == 200, status
    await conn.close()
    await admin.close()


def measure(query: str, queued: int, jobs: int, tmp: Path) -> tuple[float, float]:
    """(peak RSS MiB after start-up, peak RSS MiB after the workload)."""
    path = tmp / f"bus-{abs(hash(query))}.db"
    url = f"sqlite:///{path}"
    env = dict(os.environ, INTENT_BUS_ADMIN_KEY=ADMIN_KEY)
    port = free_port()
    cmd = [sys.executable, "-m", "intent_bus.server", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--db", url + query]
    # The first start creates the schema; the queue is then filled with the
    # server stopped, as e2e.py's claim-scaling run does.
    first = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(port)
        key = create_tenant(port)
    finally:
        first.terminate()
        first.wait(timeout=20)
    prefill(url, queued, "mem", "open")
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(port)
        started = peak_rss_mib(proc.pid)
        asyncio.run(workload(port, key, jobs))
        return started, peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queued", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument(
        "--config", action="append", help="URL options to measure (repeatable)"
    )
    args = parser.parse_args()
    configs = {query: query for query in args.config} if args.config else CONFIGS
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{args.queued:,} queued intents, {args.jobs} claimed and fulfilled")
        for name, query in configs.items():
            t0 = time.perf_counter()
            started, peak = measure(query, args.queued, args.jobs, Path(tmp))
            print(
                f"{name:40} peak RSS {started:6.1f} MiB after start, "
                f"{peak:6.1f} MiB after the workload ({time.perf_counter() - t0:.0f} s)"
            )


if __name__ == "__main__":
    main()
