"""The environment a run happened in, the summary over runs, and the report:
docs/BENCHMARKS.md with its chart, drawn here with matplotlib."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shlex
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from e2e import pct
from harness import PICKUP_PAUSE
from peer import load

ROOT = Path(__file__).resolve().parent.parent.parent
CHART = "benchmarks-peers.png"
TOOLS = ("matplotlib",)
BLUE, GREY = "#1f6feb", "#8c959f"


def _cpu_model() -> str:
    with suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | str:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return "unknown"
    return round(pages * size / 2**30, 1)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _servers(keys: list[str], args: argparse.Namespace) -> dict[str, str]:
    found = {"SQLite (Python's sqlite3)": sqlite3.sqlite_version}
    if "rq" in keys:
        from redis import Redis

        with Redis.from_url(args.redis_url) as redis:
            found["Redis server"] = str(redis.info("server")["redis_version"])
    if "procrastinate" in keys:
        import psycopg

        with psycopg.connect(args.postgres_url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            found["PostgreSQL server"] = str(row[0]) if row else "unknown"
    return found


def _commit() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def environment(keys: list[str], args: argparse.Namespace) -> dict[str, Any]:
    packages = [d for key in keys for d in load(key).packages]
    command = shlex.join(["python3", "bench/peers/run.py", *sys.argv[1:]])
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "commit": _commit(),
        "command": command.strip(),
        "jobs": args.jobs,
        "workers": args.workers,
        "pickup_rounds": args.pickup_rounds,
        "runs": args.runs,
        "note": args.note,
        "versions": {d: _version(d) for d in dict.fromkeys([*packages, *TOOLS])},
        "servers": _servers(keys, args),
    }


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    """Per peer: the median rate over runs, pickup percentiles over all the
    runs' samples together."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for results in data["runs"]:
        for result in results:
            by_key.setdefault(result["key"], []).append(result)
    rows = []
    for key, results in by_key.items():
        row: dict[str, Any] = {"key": key, "peer": results[0]["peer"]}
        row["store"] = results[0]["store"]
        errors = [r["error"] for r in results if "error" in r]
        notes = sorted({r["note"] for r in results if "note" in r})
        ok = [r for r in results if "error" not in r]
        if errors:
            row["error"] = "; ".join(errors)
        if notes:
            row["note"] = "; ".join(notes)
        if ok:
            for field in ("enqueue_per_s", "drain_per_s"):
                row[field] = round(statistics.median(r[field] for r in ok), 1)
                row[field + "_all"] = [r[field] for r in ok]
            samples = [s for r in ok for s in r["pickup_ms"]]
            row["pickup_p50_ms"] = round(pct(samples, 50), 1)
            row["pickup_p95_ms"] = round(pct(samples, 95), 1)
        rows.append(row)
    return {"rows": rows}


def write(data: dict[str, Any], summary: dict[str, Any], out: Path) -> list[Path]:
    from report_text import markdown

    out.mkdir(parents=True, exist_ok=True)
    chart = out / CHART
    draw(summary["rows"], data["environment"], chart)
    doc = out / "BENCHMARKS.md"
    doc.write_text(markdown(data, summary, CHART))
    return [doc, chart]


def draw(rows: list[dict[str, Any]], env: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = [r for r in rows if "drain_per_s" in r]
    # Wrapped, so that seven long names fit under their bars without touching.
    names = [textwrap.fill(r["peer"], 11, break_long_words=False) for r in rows]
    colors = [BLUE if r["key"] == "intent-bus" else GREY for r in rows]
    fig, (rates, pickup) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=90)
    width = 0.38
    xs = range(len(rows))
    for offset, field, label, hatch in (
        (-width / 2, "enqueue_per_s", "enqueue", ""),
        (width / 2, "drain_per_s", "drain", "//"),
    ):
        values = [r[field] for r in rows]
        bars = rates.bar(
            [x + offset for x in xs],
            values,
            width,
            color=colors,
            hatch=hatch,
            edgecolor="white",
            label=label,
        )
        rates.bar_label(bars, fmt="{:,.0f}", fontsize=8, padding=2)
    rates.set_xticks(list(xs), names, fontsize=8)
    rates.set_ylabel("jobs/s (higher is better)")
    rates.set_title(f"{env['jobs']:,} no-op jobs, {env['workers']} worker processes")
    rates.legend(
        handles=[
            Patch(facecolor=GREY, edgecolor="white", label="enqueue"),
            Patch(facecolor=GREY, edgecolor="white", hatch="//", label="drain"),
        ],
        loc="upper right",
    )
    p50 = [r["pickup_p50_ms"] for r in rows]
    p95 = [r["pickup_p95_ms"] for r in rows]
    bars = pickup.bar(list(xs), p50, 0.55, color=colors)
    pickup.scatter(list(xs), p95, marker="_", s=400, color="black")
    pickup.bar_label(bars, fmt="{:,.1f}", fontsize=8, padding=2)
    pickup.set_yscale("log")
    pickup.set_ylim(bottom=1)
    pickup.set_xticks(list(xs), names, fontsize=8)
    pickup.set_ylabel("ms, log scale (lower is better)")
    low, high = PICKUP_PAUSE
    pickup.set_title(f"idle pickup: publish -> handler start ({low}-{high} s idle)")
    pickup.legend(
        handles=[
            Patch(facecolor=GREY, label="p50"),
            Line2D(
                [], [], color="black", marker="_", markersize=14, ls="", label="p95"
            ),
        ],
        loc="upper left",
    )
    for axis in (rates, pickup):
        axis.spines[["top", "right"]].set_visible(False)
    fig.text(
        0.01,
        0.01,
        f"{env['cpu']}, {env['cores']} cores, Python {env['python']}; {env['date']}",
        fontsize=7,
        color="#57606a",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path)
    plt.close(fig)
