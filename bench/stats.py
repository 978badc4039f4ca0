"""GET /stats (admin: every tenant; tenant: its own) over a long history.

The Overview page and `intent-bus stats --watch` call it every few seconds, so
it must cost a few milliseconds whatever the history: it reads counters kept per
(owner, namespace, goal, status) and a per-minute completions table, not the
intents (docs/internals/stats.md).

The history (by default 1,000,000 intents over the last ~3 hours: 1% open, 2%
dead, the rest fulfilled, many in the last hour; 8 owners x 5 namespaces x 20
goals) is inserted straight into a fresh database while no server runs; then
one server answers the timed requests, once housekeeping has had `--settle`
seconds (PostgreSQL folds the counters' pending changes then).

Usage:
    .venv/bin/python bench/stats.py                    # 1,000,000 intents, SQLite
    .venv/bin/python bench/stats.py --count 100000
    .venv/bin/python bench/stats.py --db postgresql://postgres@127.0.0.1:5432/test

Times are client round trips (HTTP included), minimum, median and p95 of
`--rounds` requests (on a shared machine the minimum is the least noisy);
GET /healthz is the HTTP floor, so a time minus it is the server's work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import (
    ADMIN_KEY,
    OWNER,
    create_tenant,
    drop_db,
    fresh_db,
    pct,
    server_env,
    servers,
)

SPAN = 10_000.0
"""Seconds the history covers, ending now: ~36% of it in the last hour."""

HISTORY_SQL = """
    {head}
    INSERT INTO intents (
        id, owner, goal, payload, namespace, visibility, priority, run_at,
        created_at, max_attempts, backoff_base, status, claim_attempts, worker_id,
        error, completed_at, updated_at
    )
    SELECT {id}, CASE WHEN x % 4 = 0 THEN '{owner}' ELSE 'other' || (x % 7) END,
           'g' || (x % 20), {payload}, 'ns' || (x % 5), 'private', 100,
           {start} + x * {step}, {start} + x * {step}, 3, 5.0,
           CASE WHEN x % 100 = 0 THEN 'open'
                WHEN x % 50 = 1 THEN 'dead' ELSE 'fulfilled' END,
           CASE WHEN x % 100 = 0 THEN 0 ELSE 1 END,
           CASE WHEN x % 100 = 0 THEN NULL ELSE 'w' || (x % 100) END,
           CASE WHEN x % 50 = 1 THEN 'Timeout' END,
           CASE WHEN x % 100 = 0 THEN NULL ELSE {start} + x * {step} + 0.5 END,
           {start} + x * {step}
    {tail}
"""


def fill_history(db_url: str, count: int) -> float:
    """Inserts `count` intents; returns the seconds it took."""
    now = time.time()
    params = {"owner": OWNER, "start": now - SPAN, "step": SPAN / count}
    t0 = time.perf_counter()
    if db_url.startswith("sqlite"):
        import sqlite3

        sql = HISTORY_SQL.format(
            head="WITH RECURSIVE c(x) AS "
            "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :count)",
            id="lower(hex(randomblob(16)))",
            payload="X'7B7D'",
            tail="FROM c",
            **params,
        )
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.execute(sql, {"count": count})
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg

        sql = HISTORY_SQL.replace(" % ", " %% ").format(
            head="",
            id="md5(random()::text || x)",
            payload="'{}'::bytea",
            tail="FROM generate_series(1, %(count)s) AS x",
            **params,
        )
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(sql, {"count": count})
    return time.perf_counter() - t0


def vacuum(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def get(port: int, key: str, path: str) -> tuple[float, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"X-API-KEY": key}
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = response.read()
    return time.perf_counter() - t0, json.loads(body)


def timed(port: int, key: str, path: str, rounds: int) -> dict[str, float]:
    took = [get(port, key, path)[0] for _ in range(rounds)]
    return {
        "ms_min": round(min(took) * 1000, 2),
        "ms_p50": round(pct(took, 50) * 1000, 2),
        "ms_p95": round(pct(took, 95) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    # Both server runs must unseal the same keys.
    os.environ["INTENT_BUS_KEK"] = server_env()["INTENT_BUS_KEK"]
    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_db(args.db, Path(tmp))
        try:
            with servers(db_url, 1):
                pass  # migrate the fresh database, then stop
            took = fill_history(db_url, args.count)
            print(f"inserted {args.count:,} intents in {took:.1f} s")
            results: dict[str, Any] = {"count": args.count, "db": args.db}
            with servers(db_url, 1) as (port,):
                time.sleep(args.settle)
                vacuum(db_url)
                keys = {"tenant": create_tenant(port), "admin": ADMIN_KEY}
                groups = get(port, ADMIN_KEY, "/stats")[1]["groups"]
                results["groups"] = len(groups)
                total = sum(sum(g["counts"].values()) for g in groups)
                assert total == args.count, (total, args.count)
                for label, who, path in (
                    ("GET /stats (admin, every tenant)", "admin", "/stats"),
                    ("GET /stats (tenant)", "tenant", "/stats"),
                    ("GET /admin/stats", "admin", "/admin/stats"),
                    ("GET /healthz (HTTP floor)", "tenant", "/healthz"),
                ):
                    results[label] = timed(port, keys[who], path, args.rounds)
                    print(f"{label:34} {results[label]}")
        finally:
            if not args.db.startswith("sqlite"):
                drop_db(db_url, args.db)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
