"""Per-job overhead of `WorkerRuntime` against a bare claim+fulfill loop.

Starts a real server process on SQLite, publishes N intents per phase and
drains them twice with the same `IntentClient`:

- ``bare``: ``client.claim()`` + ``client.fulfill()`` in a plain loop, with the
  same claim arguments the runtime sends (worker id, long-poll wait);
- ``runtime``: ``WorkerRuntime(client).listen()`` with a trivial handler;
  optionally a second time with INFO logging enabled (to /dev/null), as the CLI
  worker runs.

For each it reports jobs/s and this process's CPU time per job (all threads:
the runtime's handler and lease threads count), and the ratio runtime / bare.
The client CPU is the figure that matters on a shared machine: the wall-clock
rate also depends on the server process competing for the same cores.

First, without a server, the same two loops run against an in-process fake
client whose calls cost nothing: what remains is the runtime's own cost per
job, free of network noise.

Usage:
    .venv/bin/python bench/worker_runtime.py             # N=1000, concurrency 1
    .venv/bin/python bench/worker_runtime.py -n 2000 --concurrency 4 --rounds 3
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import create_tenant, servers

from intent_bus.sdk.client import IntentClient
from intent_bus.worker.runtime import WorkerRuntime

NAMESPACE = "bench"
WORKER_ID = "bench-worker"
POLL = 0.5


def publish(client: IntentClient, goal: str, n: int) -> None:
    for i in range(n):
        client.publish(goal, {"n": i}, namespace=NAMESPACE)


def bare(client: IntentClient, goal: str, n: int) -> tuple[float, float]:
    """Wall and CPU seconds to claim and fulfill `n` intents by hand."""
    wall, cpu = time.perf_counter(), time.process_time()
    done = 0
    while done < n:
        response = client.claim(
            goal=goal, namespace=NAMESPACE, worker_id=WORKER_ID, wait=POLL
        )
        intent = response.intent
        if intent is None:
            raise RuntimeError(f"queue ran dry after {done} of {n}")
        client.fulfill(intent.id, claim_token=intent.claim_token)
        done += 1
    return time.perf_counter() - wall, time.process_time() - cpu


def runtime(
    client: Any, goal: str, n: int, concurrency: int, namespace: str = NAMESPACE
) -> tuple[float, float]:
    """Wall and CPU seconds until `listen` reported `n` outcomes. The clock
    stops at the n-th reported verdict (the on_outcome hook), so the last
    idle long-poll before `listen` notices the stop is not counted."""
    done = 0
    lock = threading.Lock()
    end: list[float] = []

    def on_outcome(intent: Any, outcome: Any, reported: bool) -> None:
        nonlocal done
        assert reported and outcome.fulfilled, outcome
        with lock:
            done += 1
            if done == n:
                end.extend((time.perf_counter(), time.process_time()))
                worker.stop()

    worker = WorkerRuntime(
        client,
        worker_id=WORKER_ID,
        poll_interval=POLL,
        concurrency=concurrency,
        on_outcome=on_outcome,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    worker.listen(goal, lambda payload: None, namespace=namespace)
    if done != n:
        raise RuntimeError(f"listen returned after {done} of {n}")
    return end[0] - wall, end[1] - cpu


class _Empty:
    retry_after = None

    def __bool__(self) -> bool:
        return False


class _Claimed:
    def __init__(self, n: int) -> None:
        self.intent = SimpleNamespace(
            id=f"{n:032x}",
            goal="g",
            payload={"n": n},
            claim_token="t",
            claim_timeout=60,
            claim_attempts=1,
        )

    def __bool__(self) -> bool:
        return True


class FakeClient:
    """Hands out `n` intents, then none; every other call does nothing."""

    def __init__(self, n: int) -> None:
        self._ids = itertools.count()
        self._n = n

    def claim(self, **kw: Any) -> Any:
        n = next(self._ids)
        if n < self._n:
            return _Claimed(n)
        time.sleep(0.01)
        return _Empty()

    def fulfill(self, *args: Any, **kw: Any) -> dict[str, Any]:
        return {}

    def fail(self, *args: Any, **kw: Any) -> dict[str, Any]:
        return {}

    def extend_claim(self, *args: Any, **kw: Any) -> dict[str, Any]:
        return {}


def in_process(n: int, concurrency: int) -> None:
    fake = FakeClient(n)
    cpu = time.process_time()
    for _ in range(n):
        got = fake.claim(goal="g")
        fake.fulfill(got.intent.id, claim_token=got.intent.claim_token)
    bare_cpu = time.process_time() - cpu
    wall, cpu = runtime(FakeClient(n), "g", n, concurrency, namespace="default")
    print(
        f"runtime alone      {n / wall:8.0f} jobs/s   {cpu / n * 1e6:6.1f} us CPU/job"
        f"   (bare loop {bare_cpu / n * 1e6:.1f} us/job)"
    )


def row(name: str, n: int, wall: float, cpu: float, base_cpu: float | None) -> str:
    ratio = f"{cpu / base_cpu:5.2f}x" if base_cpu else "     -"
    return (
        f"{name:<18} {n / wall:8.0f} jobs/s   {cpu / n * 1000:6.3f} ms CPU/job"
        f"   ratio {ratio}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="intents per phase")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--no-logging-phase",
        action="store_true",
        help="skip the phase with INFO logging enabled",
    )
    parser.add_argument(
        "--fake-n", type=int, default=20000, help="intents for the in-process part"
    )
    args = parser.parse_args()

    print(f"in-process fake client: N={args.fake_n}, concurrency={args.concurrency}")
    in_process(args.fake_n, args.concurrency)

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with servers(db, 1) as ports:
            key = create_tenant(ports[0])
            url = f"http://127.0.0.1:{ports[0]}"
            with IntentClient(url, api_key=key) as client:
                # Warm up connections, imports and the server's caches.
                publish(client, "warm", 50)
                bare(client, "warm", 50)
                for r in range(args.rounds):
                    print(f"round {r + 1}: N={args.n}, concurrency={args.concurrency}")
                    publish(client, f"bare{r}", args.n)
                    wall, base_cpu = bare(client, f"bare{r}", args.n)
                    print(row("bare claim+fulfill", args.n, wall, base_cpu, None))
                    publish(client, f"rt{r}", args.n)
                    wall, cpu = runtime(client, f"rt{r}", args.n, args.concurrency)
                    print(row("runtime", args.n, wall, cpu, base_cpu))
                    if args.no_logging_phase:
                        continue
                    root = logging.getLogger("intent_bus")  # as the CLI does
                    handler = logging.StreamHandler(open(os.devnull, "w"))
                    handler.setFormatter(
                        logging.Formatter("%(asctime)s %(levelname)s %(message)s")
                    )
                    root.addHandler(handler)
                    root.setLevel(logging.INFO)
                    try:
                        publish(client, f"rtlog{r}", args.n)
                        wall, cpu = runtime(
                            client, f"rtlog{r}", args.n, args.concurrency
                        )
                    finally:
                        root.removeHandler(handler)
                        root.setLevel(logging.WARNING)
                        handler.stream.close()
                    print(row("runtime, INFO log", args.n, wall, cpu, base_cpu))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
