"""Client-side CPU per SDK call: httpx's default transport vs ``StdlibTransport``.

Starts a real server process, then runs publish -> claim -> fulfill cycles with
one ``IntentClient`` per transport, interleaving rounds so both see the same
machine load, and prints the client's CPU time per call (``time.process_time``,
this process only, so the server's work is excluded), jobs/s and the ratio.

Usage:
    .venv/bin/python bench/sdk_calls.py              # 1000 jobs x 3 rounds
    .venv/bin/python bench/sdk_calls.py --jobs 300 --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import create_tenant, servers

from intent_bus import IntentClient
from intent_bus.sdk.core import KEEPALIVE_EXPIRY
from intent_bus.sdk.stdlib_transport import StdlibTransport

CALLS_PER_JOB = 3


def httpx_transport() -> httpx.BaseTransport:
    """What ``IntentClient`` used before: httpx's transport with the SDK's limits."""
    return httpx.HTTPTransport(
        limits=httpx.Limits(
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
    )


def stdlib_transport() -> httpx.BaseTransport:
    return StdlibTransport(keepalive_expiry=KEEPALIVE_EXPIRY)


TRANSPORTS: dict[str, Callable[[], httpx.BaseTransport]] = {
    "httpx": httpx_transport,
    "stdlib": stdlib_transport,
}


def run_round(
    url: str, key: str, make: Callable[[], httpx.BaseTransport], jobs: int
) -> tuple[float, float]:
    """Returns (client CPU seconds per call, jobs per second)."""
    namespace = f"bench-{time.monotonic_ns()}"
    with IntentClient(url, key, transport=make()) as client:
        for _ in range(20):  # warm up: connection, imports, caches
            client.publish("warm", {}, namespace=namespace + "-warm")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for n in range(jobs):
            client.publish("bench", {"n": n}, namespace=namespace)
            job = client.claim(namespace=namespace)
            assert job, "published intent was not claimable"
            client.fulfill(job.id, result="ok", result_type="text")
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
    return cpu / (jobs * CALLS_PER_JOB), jobs / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with servers(db_url, 1) as ports:
            url = f"http://127.0.0.1:{ports[0]}"
            key = create_tenant(ports[0])
            cpu: dict[str, list[float]] = {name: [] for name in TRANSPORTS}
            rate: dict[str, list[float]] = {name: [] for name in TRANSPORTS}
            for round_no in range(1, args.rounds + 1):
                for name, make in TRANSPORTS.items():
                    per_call, jobs_s = run_round(url, key, make, args.jobs)
                    cpu[name].append(per_call)
                    rate[name].append(jobs_s)
                    print(
                        f"round {round_no} {name:>6}: {per_call * 1e3:.3f} ms CPU/call"
                        f"  {jobs_s:7.1f} jobs/s",
                        flush=True,
                    )

    print(f"\n{args.jobs} jobs x {args.rounds} rounds, median per transport:")
    for name in TRANSPORTS:
        print(
            f"  {name:>6}: {statistics.median(cpu[name]) * 1e3:.3f} ms CPU/call"
            f"  {statistics.median(rate[name]):7.1f} jobs/s"
        )
    cpu_ratio = statistics.median(cpu["httpx"]) / statistics.median(cpu["stdlib"])
    rate_ratio = statistics.median(rate["stdlib"]) / statistics.median(rate["httpx"])
    print(f"  CPU per call: httpx / stdlib = {cpu_ratio:.2f}x")
    print(f"  jobs/s:       stdlib / httpx = {rate_ratio:.2f}x")


if __name__ == "__main__":
    main()
