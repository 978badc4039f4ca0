"""The words of docs/BENCHMARKS.md around the measured figures.

The comparisons are computed from the figures of the run; the explanations of
why a system is fast or slow at something are fixed text about how each one
works, checked against its source at the versions the report lists.
"""

from __future__ import annotations

import shlex
from typing import Any

from harness import PICKUP_PAUSE

WHY = {
    "huey": (
        "**Huey** has no server and no network hop: the producer and the"
        " workers open the same SQLite file. Enqueueing is one INSERT; a worker"
        " takes a job with a SELECT and a DELETE in one transaction, and a task"
        " that returns None writes nothing more: no lease, no acknowledgement,"
        " no result row. Its SQLite runs with `synchronous=OFF` (Intent Bus:"
        " `NORMAL`; both in WAL mode, neither syncs to disk on commit). That is"
        " where its speed comes from. The price: every worker must"
        " reach the file, so producer and workers share one machine (SQLite"
        " advises against network file systems), and a job taken by a worker"
        " that then dies is gone, as nothing expires and re-offers it. An idle"
        " worker polls the file, first after 0.1 s and then 1.15 times later"
        " each time up to 10 s (the consumer's defaults), so its pickup grows"
        " with how long the queue was quiet: up to 10 s after a long lull."
    ),
    "rq": (
        "**RQ** enqueues with a few Redis commands sent in one pipeline: one"
        " round trip to an in-memory store, with no transaction to commit to"
        " disk. Its workers wait in a blocking pop, so a new job is taken at"
        " once. But its default `Worker` forks a fresh work-horse process for"
        " every job (isolation: a crashing job cannot take the worker down),"
        " which opens its own Redis connection and records the job's start and"
        " outcome there; that fork and those round trips set both its drain"
        " rate and most of its pickup time."
    ),
    "rq-simple": (
        "**RQ (SimpleWorker)** is the same RQ queue drained by `SimpleWorker`,"
        " which runs each job in the worker process itself: no fork, so a job"
        " that crashes the interpreter or leaks memory takes the worker with it."
        " It is not RQ's default; it is here to show what the fork costs."
    ),
    "procrastinate": (
        "**Procrastinate** keeps its jobs in PostgreSQL: each defer is its own"
        " transaction calling a stored procedure, and each job costs the worker"
        " a fetch (`FOR UPDATE SKIP LOCKED`) and a finish, with triggers"
        " writing an event row at each status change; a sync task runs in a"
        " thread off the worker's event loop. LISTEN/NOTIFY wakes an idle"
        " worker, so pickup is one notification plus one fetch."
    ),
    "intent-bus": (
        "**Intent Bus** pays for being a service that any language can use"
        " over plain HTTP: every job costs three HTTP round trips (publish,"
        " claim, fulfill), each a request through the server's stack and a"
        " committed SQLite write (concurrent requests share a commit; batches"
        " carry many jobs per request and per commit). In return a claim"
        " is a lease with its own token (a worker that dies has its job"
        " offered again when the lease expires, and a late fulfill from it is"
        " refused), workers and producers need nothing but HTTP and a key, and"
        " a waiting claim is a long-poll that the server answers as soon as a"
        " job arrives, so pickup does not depend on how long the queue was"
        " idle."
    ),
}


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| System | Store | Enqueue jobs/s | Drain jobs/s | Idle pickup p50 | p95 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        if "drain_per_s" not in row:
            lines.append(
                f"| {row['peer']} | {row['store']} | failed | failed | - | - |"
            )
            continue
        lines.append(
            f"| {row['peer']} | {row['store']} | {_n(row['enqueue_per_s'])}"
            f" | {_n(row['drain_per_s'])} | {row['pickup_p50_ms']:.1f} ms"
            f" | {row['pickup_p95_ms']:.1f} ms |"
        )
    return lines


def _ratio(value: float, base: float) -> str:
    ratio = value / base
    if ratio >= 1:
        return f"{ratio:.1f}x"
    return f"{ratio:.2f}x"


def _comparisons(rows: list[dict[str, Any]]) -> list[str]:
    """One line per peer, in Intent Bus's terms, from this run's figures."""
    ours = next((r for r in rows if r["key"] == "intent-bus"), None)
    if ours is None or "drain_per_s" not in ours:
        return []
    lines = []
    for row in rows:
        if row is ours or "drain_per_s" not in row:
            continue
        wins = [
            label
            for label, won in (
                ("enqueue", row["enqueue_per_s"] > ours["enqueue_per_s"]),
                ("drain", row["drain_per_s"] > ours["drain_per_s"]),
                ("pickup", row["pickup_p50_ms"] < ours["pickup_p50_ms"]),
            )
            if won
        ]
        verdict = (
            f"ahead of Intent Bus on {', '.join(wins)}"
            if wins
            else "behind on all three"
        )
        enqueue = _ratio(row["enqueue_per_s"], ours["enqueue_per_s"])
        drain = _ratio(row["drain_per_s"], ours["drain_per_s"])
        lines.append(
            f"- {row['peer']}: enqueue {enqueue} and drain {drain} Intent Bus's"
            f" rate; pickup p50 {row['pickup_p50_ms']:.1f} ms against"
            f" {ours['pickup_p50_ms']:.1f} ms ({verdict})."
        )
    return lines


def _reproduce(command: str) -> str:
    """The command as run, less the options that do not change the figures."""
    words, kept = shlex.split(command), []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("--note", "--out"):
            skip = True
        elif not word.startswith(("--note=", "--out=")):
            kept.append(word)
    return shlex.join(kept)


def markdown(data: dict[str, Any], summary: dict[str, Any], chart: str) -> str:
    env = data["environment"]
    rows = summary["rows"]
    low, high = PICKUP_PAUSE
    out = [
        "# Benchmarks: Intent Bus beside Huey, RQ and Procrastinate",
        "",
        f"Generated by `bench/peers/run.py` on {env['date']} (commit"
        f" `{env['commit']}`); do not edit by hand, run it again. Every system ran"
        f" the same workload on the same machine in one run: {env['jobs']:,}"
        f" no-op jobs enqueued one by one, then drained by {env['workers']} worker"
        " processes, then single jobs published to idle workers.",
        "",
        "## Results",
        "",
        *_table(rows),
        "",
        f"![jobs/s and idle pickup latency]({chart})",
        "",
    ]
    if env["runs"] > 1:
        out += [
            f"Rates are the median of {env['runs']} runs (peers in rotating order);"
            " pickup percentiles are over all runs' samples together. Each run's"
            " rates:",
            "",
        ]
        out += [
            f"- {r['peer']}: enqueue {r['enqueue_per_s_all']}, drain"
            f" {r['drain_per_s_all']}"
            for r in rows
            if "enqueue_per_s_all" in r
        ]
        out.append("")
    failed = [r for r in rows if "error" in r]
    notes = [r for r in rows if "note" in r]
    out += [f"- {r['peer']} failed: {r['error']}" for r in failed]
    out += [f"- {r['peer']}: {r['note']}" for r in notes]
    if failed or notes:
        out.append("")
    out += [
        "## Where a peer wins, and why",
        "",
        "Each line divides that system's figure by Intent Bus's from the same run.",
        "",
        *_comparisons(rows),
        "",
    ]
    out += [WHY[r["key"]] + "\n" for r in rows if r["key"] in WHY]
    out += [
        "## What is measured",
        "",
        "- **Enqueue**: jobs/s over the whole loop that publishes the jobs one at a"
        " time from one process with each system's own client (`IntentClient.publish`,"
        " Huey's task call, RQ's `Queue.enqueue`, Procrastinate's `defer`), into a"
        " fresh, empty store, before any worker runs.",
        f"- **Drain**: {env['workers']} worker processes per system, each with its"
        " defaults and one job at a time (`WorkerRuntime` with concurrency 1, a Huey"
        " consumer with its one thread worker, RQ's default `Worker` or its"
        " `SimpleWorker`, a Procrastinate worker with concurrency 1). Each is"
        " started, set up (imports, connections) and held at a start line; the"
        " clock runs from the"
        " start signal until the handler of the last job starts. Per-job logging is"
        " off everywhere (RQ's worker is told WARNING).",
        f"- **Idle pickup**: {env['pickup_rounds']} single jobs, each published after"
        f" the workers sat idle for {low}-{high} s (the same pseudo-random pauses"
        " for every system), timed from just before the publish call until its"
        " handler starts; p50 and p95.",
        "- Every handler does one thing: it bumps a counter in a memory-mapped file"
        " shared with the bench (about a microsecond), so completion is counted"
        " the same way for every system without asking the queue. The bench checks"
        " that no job ran twice.",
        "- Every server listens on 127.0.0.1: Intent Bus (a real `intent_bus.server`"
        " process on a fresh SQLite file), Redis and PostgreSQL (a fresh database"
        " per run, dropped after) on the same machine as the workers.",
        "",
        "## The machine",
        "",
        f"- CPU: {env['cpu']}, {env['cores']} cores; memory {env['memory_gib']} GiB",
        f"- OS: {env['os']}; Python {env['python']}",
        f"- Load average (1, 5, 15 min) before the run {env['load_before']}, after"
        f" {env['load_after']}; the run took {env['duration_s']:.0f} s",
        f"- Runs: {env['runs']}",
    ]
    if env.get("note"):
        out.append(f"- Note: {env['note']}")
    out += [
        "",
        "## Versions",
        "",
        "| Package or server | Version |",
        "| --- | --- |",
    ]
    out += [f"| {name} | {version} |" for name, version in env["versions"].items()]
    out += [f"| {name} | {version} |" for name, version in env["servers"].items()]
    out += [
        "",
        "## Reproduce",
        "",
        "Needs Python 3.10 or newer, Redis on 127.0.0.1:6379 and PostgreSQL on"
        " 127.0.0.1:5432 (user `postgres`, allowed to create databases). The script"
        " makes `bench/peers/.venv` with the pinned `bench/peers/requirements.txt`"
        " and the project on first use; none of the peers' packages is a"
        " dependency of Intent Bus.",
        "",
        "```sh",
        _reproduce(env["command"]),
        "python3 bench/peers/run.py --quick --no-write   # 1,000 jobs, prints only",
        "python3 bench/peers/run.py --help",
        "```",
        "",
    ]
    return "\n".join(out)
