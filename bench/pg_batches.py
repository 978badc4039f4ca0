"""Batches on PostgreSQL, store level: publish_many, poll_many and
complete_many of 100 intents each (complete_many of fulfills, and of fails:
half reopened, half dead at max_attempts) and as many single fails, items per
second and CPU per item
(this process, and the database backends serving it), A/B over two checkouts.

Each checkout runs this file under its own `.venv` (so it measures that
checkout's store) on a fresh database, in rounds A B then B A; the medians of
the rounds and of each round's B/A ratio are printed.

Usage:
    .venv/bin/python bench/pg_batches.py /work/main . \\
        --db postgresql://postgres@127.0.0.1:5432/test --rounds 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab import backend_cpu
from e2e import drop_db, fresh_db

PHASES = (
    "publish_many",
    "poll_many",
    "complete_many",
    "complete_many_fails",
    "single_fails",
)


async def one_run(db_url: str, admin_url: str, batches: int, size: int) -> Any:
    from intent_bus.storage.base import ClaimQuery, Lease, NewIntent
    from intent_bus.storage.batches import Completion, PublishItem
    from intent_bus.storage.postgres import PostgresStore

    store = PostgresStore.from_url(db_url + "?listen=off")
    await store.start()
    spent = dict.fromkeys(PHASES, (0.0, 0.0, 0.0))

    def add(name: str, wall: float, cpu: float, db: float) -> None:
        total = spent[name]
        spent[name] = (total[0] + wall, total[1] + cpu, total[2] + db)

    async def timed(name: str, operation: Any) -> Any:
        db0 = backend_cpu(admin_url, db_url)
        cpu0, t0 = time.process_time(), time.perf_counter()
        result = await operation
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        db1 = backend_cpu(admin_url, db_url)
        add(name, wall, cpu, sum(v - db0.get(k, 0.0) for k, v in db1.items()))
        return result

    def publishable(goal: str, now: float) -> list[PublishItem]:
        return [
            PublishItem(
                NewIntent(
                    id=uuid.uuid4().hex,
                    owner="bench",
                    goal=goal,
                    payload=b"{}",
                    namespace="q",
                    visibility="private",
                    priority=100,
                    run_at=now,
                    created_at=now,
                    # The fails: every other one is dead at its first.
                    max_attempts=3 if goal == "batch" or n % 2 else 1,
                    backoff_base=5.0,
                )
            )
            for n in range(size)
        ]

    async def claimed(goal: str, now: float) -> Any:
        leases = [Lease(uuid.uuid4().hex, now + 60, "w1") for _ in range(size)]
        query = ClaimQuery(owner="bench", namespace="q", goal=goal)
        return await store.intent_poll_many(query, leases, now)

    try:
        for _ in range(batches):
            now = time.time()
            items = publishable("batch", now)
            await timed("publish_many", store.intent_publish_many(items, now))
            leases = [Lease(uuid.uuid4().hex, now + 60, "w1") for _ in range(size)]
            query = ClaimQuery(owner="bench", namespace="q", goal="batch")
            polled = await timed(
                "poll_many", store.intent_poll_many(query, leases, now)
            )
            done = [
                Completion(intent.id, str(intent.claim_token), "fulfill", b"1")
                for intent in polled.intents
            ]
            await timed(
                "complete_many",
                store.intent_complete_many(done, lambda _n, _b: 1.0, now),
            )
            # Fails, untimed publish and claim; reopened an hour later, so no
            # later batch claims them again.
            await store.intent_publish_many(publishable("fails", now), now)
            failing = await claimed("fails", now)
            fails = [
                Completion(intent.id, str(intent.claim_token), "fail", error="boom")
                for intent in failing.intents
            ]
            await timed(
                "complete_many_fails",
                store.intent_complete_many(fails, lambda _n, _b: 3600.0, now),
            )
            await store.intent_publish_many(publishable("fails", now), now)
            failing = await claimed("fails", now)
            for intent in failing.intents:
                await timed(
                    "single_fails",
                    store.intent_fail(
                        intent.id,
                        str(intent.claim_token),
                        "boom",
                        lambda _n, _b: 3600.0,
                        now,
                    ),
                )
    finally:
        await store.close()
    return {
        name: {
            "items_per_s": batches * size / wall,
            "cpu_us_per_item": cpu / (batches * size) * 1e6,
            "db_cpu_us_per_item": db / (batches * size) * 1e6,
        }
        for name, (wall, cpu, db) in spent.items()
    }


def run_tree(tree: Path, admin_url: str, batches: int, size: int) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_db(admin_url, Path(tmp))
        try:
            venv = tree / ".venv" / "bin" / "python"
            python = str(venv) if venv.exists() else sys.executable
            sizes = ["--batches", str(batches), "--size", str(size)]
            out = subprocess.run(
                [python, __file__, "--one", db_url, "--db", admin_url, *sizes],
                cwd=tree,
                # The checkout's own package, even under another's interpreter.
                env=dict(os.environ, PYTHONPATH=str(tree)),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            drop_db(db_url, admin_url)
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path, nargs="?")
    parser.add_argument("b", type=Path, nargs="?")
    parser.add_argument("--db", required=True, help="a postgresql:// URL")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = asyncio.run(one_run(args.one, args.db, args.batches, args.size))
        print(json.dumps(result))
        return
    runs: dict[str, list[Any]] = {"a": [], "b": []}
    for round_ in range(args.rounds):
        for side in ("a", "b") if round_ % 2 == 0 else ("b", "a"):
            tree = getattr(args, side).resolve()
            runs[side].append(run_tree(tree, args.db, args.batches, args.size))
    report: dict[str, Any] = {}
    for phase in PHASES:
        row: dict[str, float] = {}
        for metric in ("items_per_s", "cpu_us_per_item", "db_cpu_us_per_item"):
            a = [run[phase][metric] for run in runs["a"]]
            b = [run[phase][metric] for run in runs["b"]]
            row[f"a_{metric}"] = round(median(a), 1)
            row[f"b_{metric}"] = round(median(b), 1)
            row[f"ratio_b_a_{metric}"] = round(
                median(y / x for x, y in zip(a, b, strict=True)), 3
            )
        report[phase] = row
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
