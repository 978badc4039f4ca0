"""One peer's measurement: enqueue, drain with worker processes, idle pickup.

The clocks are the same for every peer: enqueue is timed around the producer
loop in this process; drain from the moment the held workers are told to go
until the last job's handler started; pickup from just before the publish
call until the handler started (both ends read with `time.time()` on this
machine, the handler's end written into the shared meter).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from e2e import pct
from meter import Meter
from peer import load

WORKER = Path(__file__).resolve().parent / "worker.py"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
PICKUP_TIMEOUT = 30.0
PICKUP_PAUSE = (0.05, 0.5)
"""Seconds the workers sit idle before each pickup job, drawn from this range
with a fixed seed, so every peer sees the same pauses. A peer that polls with
a growing delay (Huey) answers slower the longer it was idle."""


@contextmanager
def workers(
    key: str, config: dict[str, Any], meter: Meter, log: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes, each in its own process group so that whatever it
    forks (RQ's work horses) is stopped with it."""
    procs: list[subprocess.Popen[bytes]] = []
    with open(log, "ab") as out:
        try:
            for slot in range(meter.slots):
                cmd = [sys.executable, str(WORKER), key, str(slot), str(meter.path)]
                procs.append(
                    subprocess.Popen(
                        [*cmd, json.dumps(config)],
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            yield procs
        finally:
            stop(procs)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs:
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        # The group may outlive its leader (a work horse mid-job): end it all.
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_until(
    done: Any, procs: list[subprocess.Popen[bytes]], timeout: float, what: str
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError(f"a worker exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.005)


def pickups(
    peer: Any, meter: Meter, procs: Any, first: int, rounds: int
) -> list[float]:
    pauses = random.Random(13)
    samples = []
    for n in range(first, first + rounds):
        time.sleep(pauses.uniform(*PICKUP_PAUSE))
        before = meter.total()
        published = time.time()
        peer.publish(n)
        wait_until(
            lambda before=before: meter.total() > before,
            procs,
            PICKUP_TIMEOUT,
            "a pickup",
        )
        samples.append(meter.last_start() - published)
    return samples


def measure(key: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Runs the whole workload on one peer; a failure is reported, not raised,
    so that the other peers still run."""
    peer = load(key)(args, tmp)
    result: dict[str, Any] = {"key": key, "peer": peer.name, "store": peer.store}
    log = tmp / "workers.log"
    try:
        config = peer.open()
        started = time.perf_counter()
        peer.enqueue(args.jobs)
        result["enqueue_per_s"] = round(args.jobs / (time.perf_counter() - started), 1)
        meter = Meter.create(tmp / "meter", args.workers)
        with workers(key, config, meter, log) as procs:
            wait_until(meter.all_ready, procs, READY_TIMEOUT, "the workers to set up")
            go = time.time()
            meter.go()
            timeout = max(120.0, args.jobs / 10)
            wait_until(lambda: meter.total() >= args.jobs, procs, timeout, "the drain")
            result["drain_per_s"] = round(args.jobs / (meter.last_start() - go), 1)
            samples = pickups(peer, meter, procs, args.jobs, args.pickup_rounds)
            result["pickup_ms"] = [round(s * 1000, 2) for s in samples]
            result["pickup_p50_ms"] = round(pct(samples, 50) * 1000, 2)
            result["pickup_p95_ms"] = round(pct(samples, 95) * 1000, 2)
            time.sleep(0.2)  # a job run twice would show up by now
            extra = meter.total() - args.jobs - args.pickup_rounds
            if extra:
                result["error"] = f"{extra} job(s) ran more than once"
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        if log.exists():
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print("\n".join(["  worker log:", *tail]), file=sys.stderr)
    finally:
        peer.close()
    if peer.note:
        result["note"] = peer.note
    return result
