"""Store micro-benchmark: publish+claim+fulfill cycles per second on SQLite.

Compares group commit (the default) with one transaction per call, under N
concurrent asyncio tasks, and measures claim latency at a small and a large
queue. Not a test; run by hand:

    .venv/bin/python bench/store_micro.py [--tasks 16] [--cycles 4000]
    .venv/bin/python bench/store_micro.py --claim-depth 1000 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
import uuid

from intent_bus.storage.base import ClaimQuery, Lease, NewIntent
from intent_bus.storage.sqlite import SqliteStore


def new_intent(now: float, **kw: object) -> NewIntent:
    fields: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "owner": "acme",
        "goal": "bench",
        "payload": b'{"n":1}',
        "namespace": "default",
        "visibility": "private",
        "priority": 100,
        "run_at": now,
        "created_at": now,
        "max_attempts": 3,
        "backoff_base": 5.0,
    }
    fields.update(kw)
    return NewIntent(**fields)  # type: ignore[arg-type]


async def cycles(path: str, group_commit: bool, tasks: int, total: int) -> float:
    store = SqliteStore(path, group_commit=group_commit)
    await store.start()
    query = ClaimQuery(owner="acme", namespace="default")
    per_task = total // tasks

    async def loop() -> None:
        for _ in range(per_task):
            now = time.time()
            await store.intent_publish(new_intent(now), None, now)
            lease = Lease(uuid.uuid4().hex, now + 60, "w")
            got = await store.intent_claim(query, lease, now)
            assert got is not None
            await store.intent_fulfill(got.id, lease.claim_token, b"1", "json", now)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(tasks)))
    elapsed = time.perf_counter() - started
    await store.close()
    return per_task * tasks / elapsed


def fill(path: str, depth: int, terminal: int) -> None:
    """Bulk-loads `depth` open intents (and `terminal` fulfilled ones) quickly,
    through plain sqlite3 after the store created the schema."""
    conn = sqlite3.connect(path, isolation_level=None)
    now = time.time()
    conn.execute("BEGIN")
    rows = (
        (
            uuid.uuid4().hex,
            "acme",
            f"g{i % 10}",
            b"{}",
            "default",
            "private",
            i % 1000,
            now - 1000 + (i % 997),
            now,
            3,
            5.0,
            "open",
            now,
        )
        for i in range(depth)
    )
    conn.executemany(
        "INSERT INTO intents (id, owner, goal, payload, namespace, visibility, "
        "priority, run_at, created_at, max_attempts, backoff_base, status, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    done = (
        (
            uuid.uuid4().hex,
            "acme",
            "old",
            b"{}",
            "default",
            "private",
            100,
            now - 5000,
            now - 5000,
            3,
            5.0,
            "fulfilled",
            now - 4000,
            now,
        )
        for _ in range(terminal)
    )
    conn.executemany(
        "INSERT INTO intents (id, owner, goal, payload, namespace, visibility, "
        "priority, run_at, created_at, max_attempts, backoff_base, status, "
        "completed_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        done,
    )
    conn.execute("COMMIT")
    conn.close()


async def claim_latency(path: str, depth: int, terminal: int, samples: int) -> None:
    store = SqliteStore(path)
    await store.start()
    await store.close()
    fill(path, depth, terminal)
    store = SqliteStore(path)
    await store.start()
    queries = {
        "private": ClaimQuery(owner="acme", namespace="default"),
        "private+goal": ClaimQuery(owner="acme", namespace="default", goal="g3"),
        "public(other tenant)": ClaimQuery(owner="globex", namespace="x"),
    }
    for name, query in queries.items():
        latencies = []
        for _ in range(samples):
            now = time.time()
            started = time.perf_counter()
            await store.intent_claim(query, Lease(uuid.uuid4().hex, now + 60, "w"), now)
            latencies.append((time.perf_counter() - started) * 1e6)
        latencies.sort()
        print(
            f"  depth={depth:>9,} terminal={terminal:>9,} {name:<22}"
            f" p50={statistics.median(latencies):7.0f}us"
            f" p99={latencies[int(len(latencies) * 0.99) - 1]:7.0f}us"
        )
    await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--cycles", type=int, default=4000)
    parser.add_argument("--claim-depth", type=int, nargs="*", default=None)
    parser.add_argument("--terminal", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.claim_depth:
            for depth in args.claim_depth:
                path = os.path.join(tmp, f"depth{depth}.db")
                await claim_latency(path, depth, args.terminal, samples=500)
            return
        for group_commit in (False, True):
            path = os.path.join(tmp, f"gc{group_commit}.db")
            rate = await cycles(path, group_commit, args.tasks, args.cycles)
            label = "group commit" if group_commit else "one txn per call"
            print(f"{label:<18} {args.tasks:>3} tasks: {rate:8.0f} cycles/s")


if __name__ == "__main__":
    asyncio.run(main())
