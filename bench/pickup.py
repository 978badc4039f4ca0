"""Idle pickup of `WorkerRuntime` in its three ways, side by side in one run.

Idle pickup is the time from just before a publish call to the start of its
handler, while the worker sat idle (in its long-poll) for 0.05-0.5 s. One
server process on a fresh SQLite file; one worker process per way, each on its
own goal, all idle at once:

- ``single``: concurrency 1 (one claim, one fulfill per job);
- ``slots``: 32 slots, single operations only (the client has no batch calls);
- ``batch``: 32 slots with the batch calls: POST /claim?max=N, POST /complete.

The ways take turns (single, slots, batch, single, ...), each publish after a
pause drawn from a seeded generator, so a noisy neighbour on the machine
lands on every way alike. Reports p50/p95 per way and each way's p50 over the
single way's; ``--rounds`` pickups per way, ``--repeat`` runs (medians over runs).

``--baseline DIR`` runs a second server and set of workers from another source
tree (say ``git archive main | tar -x -C /tmp/base``) in the same turns, so a
change is measured before and after in one run.

Usage:
    .venv/bin/python bench/pickup.py                       # 60 rounds
    .venv/bin/python bench/pickup.py --rounds 100 --repeat 3 --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from e2e import create_tenant, free_port, pct, server_env, wait_healthy  # noqa: E402
from meter import Meter  # noqa: E402

NAMESPACE = "pickup"
SLOTS = 32
MODES = ("single", "slots", "batch")
PAUSE = (0.05, 0.5)
WARMUP = 2 * SLOTS
"""Jobs each worker drains first, so every way has started all its handler
threads (as after a drain) before the first timed pickup."""
PICKUP_TIMEOUT = 30.0


# -- worker process --------------------------------------------------------


def work(mode: str, url: str, key: str, meter_path: str, slot: int) -> None:
    """One worker process: `WorkerRuntime` in `mode` on goal `pickup.<mode>`."""
    import intent_bus
    from intent_bus.sdk.client import IntentClient
    from intent_bus.worker.runtime import WorkerRuntime

    meter = Meter(Path(meter_path), slot)
    hops = os.environ.get("PICKUP_HOPS")
    stamps: list[str] = []

    def noop(payload: Any) -> None:
        meter.hit()
        if hops:
            stamps.append(f"start {time.time():.6f}")

    print(f"{mode} worker runs {Path(intent_bus.__file__).parent}", flush=True)
    with IntentClient(url, api_key=key) as client:
        runtime_client: Any = client if mode == "batch" else SingleOps(client)
        if hops:
            stamped(runtime_client, stamps)
        concurrency = 1 if mode == "single" else SLOTS
        worker = WorkerRuntime(runtime_client, concurrency=concurrency)
        meter.ready_and_wait()
        try:
            worker.listen(f"pickup.{mode}", noop, namespace=NAMESPACE)
        finally:
            if hops:
                Path(f"{hops}.{mode}.{os.getpid()}").write_text("\n".join(stamps))


def stamped(client: Any, stamps: list[str]) -> None:
    """Wraps the claim calls to note when one returns with work."""
    for name in ("claim", "claim_many"):
        call = getattr(client, name, None)
        if call is None:
            continue

        def wrapper(*args: Any, _call: Any = call, **kwargs: Any) -> Any:
            sent = time.time()
            answer = _call(*args, **kwargs)
            if answer:
                stamps.append(f"claim {sent:.6f} {time.time():.6f}")
            return answer

        setattr(client, name, wrapper)


class SingleOps:
    """The client without its batch methods (as in bench/peers)."""

    def __init__(self, client: Any) -> None:
        self.claim = client.claim
        self.fulfill = client.fulfill
        self.fail = client.fail
        self.extend_claim = client.extend_claim
        self.base_url = client.base_url


# -- bench process ---------------------------------------------------------


@contextlib.contextmanager
def stack(tree: Path, tmp: Path, label: str) -> Iterator[dict[str, Any]]:
    """A server and one worker per way, all running the code of `tree`."""
    env = {**server_env(), "PYTHONPATH": str(tree)}
    if env.get("PICKUP_HOPS"):
        # Each worker then writes when its claims returned and its handlers
        # started to PICKUP_HOPS.<label>.<way>.<pid> as it stops.
        env["PICKUP_HOPS"] += f".{label}"
    port = free_port()
    db = f"sqlite:///{tmp / f'{label}.db'}"
    cmd = [sys.executable, "-m", "intent_bus.server", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*cmd, "--port", str(port), "--db", db], env=env, cwd=tree
    )
    procs = [server]
    try:
        wait_healthy(port)
        key = create_tenant(port)
        url = f"http://127.0.0.1:{port}"
        meter = Meter.create(tmp / f"{label}.meter", len(MODES))
        for slot, mode in enumerate(MODES):
            args = [sys.executable, __file__, "--worker", mode, url, key]
            args += [str(meter.path), str(slot)]
            procs.append(subprocess.Popen(args, env=env, cwd=tree))
        deadline = time.monotonic() + 30
        while not meter.all_ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: workers did not start")
            time.sleep(0.01)
        meter.go()
        from intent_bus.sdk.client import IntentClient

        with IntentClient(url, api_key=key) as client:
            yield {"label": label, "client": client, "meter": meter}
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def warm_up(setup: dict[str, Any]) -> None:
    client, meter = setup["client"], setup["meter"]
    for mode in MODES:
        goal = f"pickup.{mode}"
        client.publish_many(
            {"goal": goal, "payload": {"n": n}, "namespace": NAMESPACE}
            for n in range(WARMUP)
        )
    wait_for(lambda: meter.total() >= WARMUP * len(MODES), "the warm-up")


def wait_for(done: Any, what: str) -> None:
    deadline = time.monotonic() + PICKUP_TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.0005)


def pickup(setup: dict[str, Any], slot: int) -> tuple[float, float]:
    """The publish's wall time and its pickup in seconds."""
    meter: Meter = setup["meter"]
    before = meter.total()
    published = time.time()
    setup["client"].publish(f"pickup.{MODES[slot]}", {}, namespace=NAMESPACE)
    wait_for(lambda: meter.total() > before, "a pickup")
    return published, meter.last_start() - published


def run(
    setups: list[dict[str, Any]], rounds: int, seed: int, published: dict[str, Any]
) -> dict[str, list[float]]:
    pauses = random.Random(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for setup in setups:
            for slot, mode in enumerate(MODES):
                time.sleep(pauses.uniform(*PAUSE))
                name = f"{setup['label']}/{mode}"
                at, took = pickup(setup, slot)
                samples.setdefault(name, []).append(took * 1000)
                published.setdefault(name, []).append(at)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="another source tree")
    parser.add_argument("--json", type=Path, help="write the raw samples here")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, url, key, meter_path, slot = args.worker
        return work(mode, url, key, meter_path, int(slot))
    trees = [("this", Path(__file__).resolve().parent.parent)]
    if args.baseline:
        trees.insert(0, ("base", args.baseline.resolve()))
    runs: list[dict[str, list[float]]] = []
    published: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as exits:
        setups = [exits.enter_context(stack(t, Path(tmp), n)) for n, t in trees]
        for setup in setups:
            warm_up(setup)
        for repeat in range(args.repeat):
            runs.append(run(setups, args.rounds, 13 + repeat, published))
            report(runs[-1], f"run {repeat + 1}")
    if args.repeat > 1:
        medians = {name: [statistics.median(r[name]) for r in runs] for name in runs[0]}
        print("\nmedian of the runs' p50s (ms):")
        for name, p50s in medians.items():
            print(f"  {name:12} {statistics.median(p50s):6.2f}  runs {p50s}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "published": published}))


def report(samples: dict[str, list[float]], title: str) -> None:
    print(
        f"\n{title}: idle pickup, ms (n per way = {len(next(iter(samples.values())))})"
    )
    base: dict[str, float] = {}
    for name, values in samples.items():
        p50 = pct(values, 50)
        label = name.split("/")[0]
        base.setdefault(label, p50)
        ratio = p50 / base[label]
        print(
            f"  {name:12} p50 {p50:6.2f}  p95 {pct(values, 95):6.2f}"
            f"  p50/single {ratio:4.2f}"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
