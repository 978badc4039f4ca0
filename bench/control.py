"""Control API reads against a million finished intents: GET /intents pages
(each filter, following the cursor) and GET /intents/<id>, timed over HTTP.

A page must cost a few milliseconds whatever the history: each search walks
one index and stops after a page (or after a bounded number of rows examined).
The history is inserted straight into a fresh SQLite file (or PostgreSQL
database) while no server runs, then one server answers the timed requests.

Usage:
    .venv/bin/python bench/control.py                  # 1,000,000 intents, SQLite
    .venv/bin/python bench/control.py --count 200000
    .venv/bin/python bench/control.py --db postgresql://postgres@127.0.0.1:5432/test

Times are round trips seen by the client (so they include HTTP), median and
p95 of `--rounds` requests each.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import ADMIN_KEY, OWNER, create_tenant, drop_db, fresh_db, pct, servers

HISTORY_SQL = """
    {head}
    INSERT INTO intents (
        id, owner, goal, payload, namespace, visibility, priority, run_at,
        created_at, max_attempts, backoff_base, status, claim_attempts, worker_id,
        error, completed_at, result, result_type, updated_at
    )
    SELECT {id}, CASE WHEN x % 4 = 0 THEN '{owner}' ELSE 'other' || (x % 7) END,
           'g' || (x % 20), {payload}, 'ns' || (x % 5), 'private', 100,
           {start} + x * 0.001, {start} + x * 0.001, 3, 5.0,
           CASE WHEN x % 50 = 0 THEN 'dead' ELSE 'fulfilled' END, 1,
           'w' || (x % 100),
           CASE WHEN x % 50 = 0 THEN 'Timeout talking to host ' || (x % 13) END,
           {start} + x * 0.001 + 1, {result}, 'json', {start} + x * 0.001 + 1
    {tail}
"""


def fill_history(db_url: str, count: int) -> float:
    """Inserts `count` finished intents; returns the seconds it took."""
    start = time.time() - 2 * 86400  # within retention: housekeeping keeps it
    t0 = time.perf_counter()
    if db_url.startswith("sqlite"):
        import sqlite3

        sql = HISTORY_SQL.format(
            head="WITH RECURSIVE c(x) AS "
            "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :count)",
            id="lower(hex(randomblob(16)))",
            owner=OWNER,
            payload="X'7B7D'",
            start=start,
            result="X'226F6B22'",
            tail="FROM c",
        )
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.execute(sql, {"count": count})
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg

        sql = HISTORY_SQL.format(
            head="",
            id="md5(random()::text || x)",
            owner=OWNER,
            payload="'{}'::bytea",
            start=start,
            result="'\"ok\"'::bytea",
            tail="FROM generate_series(1, %(count)s) AS x",
        )
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(sql, {"count": count})
            conn.execute("VACUUM ANALYZE intents")
    return time.perf_counter() - t0


def get(port: int, key: str, path: str) -> tuple[float, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"X-API-KEY": key}
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = response.read()
    elapsed = time.perf_counter() - t0
    answer: dict[str, Any] = json.loads(body)
    return elapsed, answer


def time_search(port: int, key: str, query: str, rounds: int) -> dict[str, Any]:
    """The first page `rounds` times, then `rounds` pages down the cursor."""
    first = [get(port, key, f"/intents?{query}")[0] for _ in range(rounds)]
    deeper: list[float] = []
    path = f"/intents?{query}"
    rows = 0
    for _ in range(rounds):
        elapsed, answer = get(port, key, path)
        deeper.append(elapsed)
        rows += len(answer["intents"])
        if answer["next_cursor"] is None:
            break
        path = f"/intents?{query}&cursor={answer['next_cursor']}"
    return {
        "first_page_ms_p50": round(pct(first, 50) * 1000, 2),
        "first_page_ms_p95": round(pct(first, 95) * 1000, 2),
        "cursor_pages_ms_p50": round(pct(deeper, 50) * 1000, 2),
        "cursor_pages_ms_p95": round(pct(deeper, 95) * 1000, 2),
        "rows_per_page": round(rows / len(deeper), 1),
    }


QUERIES = {
    "tenant, no filter": ("tenant", "limit=50"),
    "status=dead": ("tenant", "status=dead&limit=50"),
    "goal": ("tenant", "goal=g4&limit=50"),
    "namespace": ("tenant", "namespace=ns2&limit=50"),
    "worker": ("tenant", "worker=w8&limit=50"),
    "goal + status=dead (bounded walk)": ("tenant", "goal=g0&status=dead&limit=50"),
    "error substring (bounded walk)": ("tenant", "error=TIMEOUT&limit=50"),
    "admin, every tenant": ("admin", "limit=50"),
    "admin, owner=": ("admin", f"owner={OWNER}&limit=50"),
    "limit=200": ("tenant", "limit=200"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_db(args.db, Path(tmp))
        try:
            with servers(db_url, 1):
                pass  # migrate the fresh database, then stop
            took = fill_history(db_url, args.count)
            print(f"inserted {args.count:,} finished intents in {took:.1f} s")
            results: dict[str, Any] = {"count": args.count, "db": args.db}
            with servers(db_url, 1) as (port,):
                keys = {"tenant": create_tenant(port), "admin": ADMIN_KEY}
                for label, (who, query) in QUERIES.items():
                    results[label] = time_search(port, keys[who], query, args.rounds)
                    print(f"{label:36} {results[label]}")
                some = get(port, keys["tenant"], "/intents?limit=1")[1]["intents"][0]
                one = [
                    get(port, keys["tenant"], f"/intents/{some['id']}")[0]
                    for _ in range(args.rounds)
                ]
                prefix = some["id"][:6]
                by_prefix = [
                    get(port, keys["tenant"], f"/intents?id={prefix}")[0]
                    for _ in range(args.rounds)
                ]
                results["GET /intents/<id> ms_p50"] = round(pct(one, 50) * 1000, 2)
                results["id prefix ms_p50"] = round(pct(by_prefix, 50) * 1000, 2)
                print(f"GET /intents/<id> p50 {results['GET /intents/<id> ms_p50']} ms")
                print(f"id=<6-char prefix> p50 {results['id prefix ms_p50']} ms")
                for who, path in (("tenant", "/stats"), ("admin", "/stats")):
                    took_stats = [
                        get(port, keys[who], path)[0]
                        for _ in range(max(3, args.rounds // 4))
                    ]
                    label = f"GET /stats as {who} ms_p50"
                    results[label] = round(pct(took_stats, 50) * 1000, 1)
                    print(label, results[label])
                healthz = [
                    get(port, keys["tenant"], "/healthz")[0] for _ in range(args.rounds)
                ]
                results["healthz ms_p50 (HTTP floor)"] = round(
                    pct(healthz, 50) * 1000, 2
                )
                print(
                    "GET /healthz p50",
                    results["healthz ms_p50 (HTTP floor)"],
                    "ms (the HTTP floor)",
                )
        finally:
            if not args.db.startswith("sqlite"):
                drop_db(db_url, args.db)


if __name__ == "__main__":
    main()
