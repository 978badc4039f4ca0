"""What the /stats counters (migration 0009) cost the claim path, A/B in one process.

Database A gets the schema as it was before 0009 (the `intents_stats` index, no
counter triggers, no `intents_open_age`), database B the current one; the same
code then runs short bursts of publish + claim + fulfil cycles through the
Store, alternating A B A B, so a shared machine's load drifts cancel out.
Prints the median time per cycle of each and the median ratio B / A.

Usage:
    .venv/bin/python bench/stats_claim.py                    # SQLite, empty
    .venv/bin/python bench/stats_claim.py --history 1000000  # over finished intents
    .venv/bin/python bench/stats_claim.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from typing import Any

from intent_bus.storage import open_store
from intent_bus.storage.base import ClaimQuery, Lease, NewIntent, Store

BEFORE_0009 = [
    "DROP TRIGGER intent_counts_published{on}",
    "DROP TRIGGER intent_counts_changed{on}",
    "DROP TRIGGER intent_counts_purged{on}",
    "DROP INDEX intents_open_age",
    "CREATE INDEX intents_stats"
    " ON intents (owner, goal, namespace, status, created_at)",
]

HISTORY = """
    INSERT INTO intents (
        id, owner, goal, payload, namespace, visibility, priority, run_at,
        created_at, max_attempts, backoff_base, status, claim_attempts,
        completed_at, updated_at
    )
    SELECT {id}, 'o' || (x % 8), 'g' || (x % 20), {payload}, 'ns' || (x % 5),
           'private', 100, x, x, 3, 5.0, 'fulfilled', 1, x + 1, x + 1
    {source}
"""


def sql(url: str, statements: list[str], params: Any = None) -> None:
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        for statement in statements:
            conn.execute(statement, params or {})
        conn.commit()
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url.split("?")[0], autocommit=True) as pg:
            for statement in statements:
                pg.execute(statement.replace(" % ", " %% "), params)


async def prepare(url: str, before: bool, history: int) -> Store:
    store = open_store(url)
    await store.start()
    await store.close()
    if history and url.startswith("sqlite"):
        fill = HISTORY.format(
            id="lower(hex(randomblob(16)))",
            payload="X'7B7D'",
            source="FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
            "SELECT x + 1 FROM c WHERE x < :n) SELECT x FROM c)",
        )
        sql(url, [fill], {"n": history})
    elif history:
        fill = HISTORY.format(
            id="md5(random()::text || x)",
            payload="'{}'::bytea",
            source="FROM generate_series(1, %(n)s) AS x",
        )
        sql(url, [fill, "VACUUM ANALYZE"], {"n": history})
    if before:
        on = "" if url.startswith("sqlite") else " ON intents"
        sql(url, [s.format(on=on) for s in BEFORE_0009])
    store = open_store(url)
    await store.start()
    return store


def new_intent(now: float) -> NewIntent:
    return NewIntent(
        id=uuid.uuid4().hex,
        owner="acme",
        goal="bench",
        payload=b'{"n":1}',
        namespace="default",
        visibility="private",
        priority=100,
        run_at=now,
        created_at=now,
        max_attempts=3,
        backoff_base=5.0,
    )


async def burst(store: Store, cycles: int) -> float:
    """Microseconds per publish + claim + fulfil cycle."""
    query = ClaimQuery(owner="acme", namespace="default")
    t0 = time.perf_counter()
    for _ in range(cycles):
        now = time.time()
        await store.intent_publish(new_intent(now), None, now)
        lease = Lease(uuid.uuid4().hex, now + 60, "w")
        got = await store.intent_claim(query, lease, now)
        assert got is not None
        await store.intent_fulfill(got.id, lease.claim_token, b"1", "json", now)
    return (time.perf_counter() - t0) / cycles * 1e6


async def main_async(args: argparse.Namespace) -> None:
    if args.db == "sqlite":
        tmp = tempfile.mkdtemp(prefix="bench_stats_claim")
        urls = [f"sqlite:///{tmp}/a.db", f"sqlite:///{tmp}/b.db"]
    else:
        import psycopg

        base = args.db.rsplit("/", 1)[0]
        with psycopg.connect(args.db, autocommit=True) as pg:
            for name in ("bench_stats_claim_a", "bench_stats_claim_b"):
                pg.execute(f"DROP DATABASE IF EXISTS {name}")
                pg.execute(f"CREATE DATABASE {name}")
        urls = [
            f"{base}/{n}?listen=off"
            for n in ("bench_stats_claim_a", "bench_stats_claim_b")
        ]
    a = await prepare(urls[0], True, args.history)
    b = await prepare(urls[1], False, args.history)
    await burst(a, args.cycles)  # warm both up
    await burst(b, args.cycles)
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(args.rounds):
        times_a.append(await burst(a, args.cycles))
        times_b.append(await burst(b, args.cycles))
    await a.close()
    await b.close()
    ratio = statistics.median(y / x for x, y in zip(times_a, times_b, strict=True))
    print(
        f"{args.db.split(':')[0]}, history {args.history:,}: "
        f"before 0009 {statistics.median(times_a):.0f} us/cycle, "
        f"with 0009 {statistics.median(times_b):.0f} us/cycle, "
        f"median ratio {ratio:.3f} over {args.rounds} pairs of {args.cycles} cycles"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=200)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
