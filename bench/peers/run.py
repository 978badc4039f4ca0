"""Intent Bus beside Huey, RQ and Procrastinate on one enqueue-and-drain workload.

For each system: a fresh, empty store; N no-op jobs published one at a time
from this process (enqueue jobs/s over the whole loop); then 2 worker
processes, each set up and held at a start line, drain them (drain jobs/s,
from the start signal to the start of the last job's handler); then, with the
workers idle, single jobs each published after a pause, timed from the
publish call to the start of its handler (idle pickup p50/p95). Every handler
does nothing but bump a shared counter in a mapped file (meter.py), the same
for all. Writes docs/BENCHMARKS.md and docs/benchmarks-peers.png, and the
raw figures as JSON to bench/results/.

The peers' packages are not the project's dependencies: on first use this
script makes bench/peers/.venv, installs requirements.txt and the project
into it, and runs itself there (`--no-venv` uses the current interpreter).
Needs Redis at --redis-url and PostgreSQL at --postgres-url (a fresh
database is created per run and dropped after).

Usage:
    python3 bench/peers/run.py                     # 10,000 jobs, writes docs/
    python3 bench/peers/run.py --quick --only huey,rq --no-write
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
sys.path.insert(1, str(HERE.parent))  # bench/, for e2e's helpers
from peer import PEERS  # noqa: E402  (stdlib only: works before the venv)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--jobs", type=int, default=10_000, help="default 10000")
    parser.add_argument(
        "--quick", action="store_true", help="1000 jobs, 20 pickups: a fast check"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated peers to run, of: " + ",".join(PEERS),
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="whole rounds over all peers (median)"
    )
    parser.add_argument("--pickup-rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--batch",
        action="store_true",
        help="Intent Bus enqueues with IntentClient.publish_many when the SDK has it",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="where the report goes"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/ alone"
    )
    parser.add_argument(
        "--note", default="", help="a line for the report, e.g. that the box was busy"
    )
    parser.add_argument(
        "--no-venv", action="store_true", help="run in this interpreter as it is"
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        metavar="JSON",
        help="measure nothing: write the report again from a saved bench/results file",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.jobs, args.pickup_rounds = 1000, 20
    return args


# -- the bench's own environment ------------------------------------------


def _stamp() -> str:
    text = REQUIREMENTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    return hashlib.sha256(text).hexdigest()


def enter_venv(argv: list[str]) -> None:
    """Makes or refreshes bench/peers/.venv, then runs this script in it."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV:
        return
    stamp_file = VENV / "peers-stamp"
    if not python.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        venv.create(VENV, with_pip=True)
    if not stamp_file.exists() or stamp_file.read_text() != _stamp():
        print("installing requirements.txt and the project ...", flush=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run(
            [*pip, "-r", str(REQUIREMENTS), "-e", f"{ROOT}[server]"], check=True
        )
        stamp_file.write_text(_stamp())
    os.execv(python, [str(python), str(Path(__file__).resolve()), *argv])


# -- the run ------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, object]:
    from harness import measure
    from report import environment

    keys = [k.strip() for k in args.only.split(",") if k.strip()] or list(PEERS)
    unknown = set(keys) - set(PEERS)
    if unknown:
        raise SystemExit(f"unknown peer(s): {', '.join(sorted(unknown))}")
    started = time.time()
    env = environment(keys, args)
    runs: list[list[dict[str, object]]] = []
    for number in range(args.runs):
        # Rotate the order so no peer always runs first (or last) on a busy box.
        order = keys[number % len(keys) :] + keys[: number % len(keys)]
        results = []
        for key in order:
            print(f"run {number + 1}/{args.runs}: {key} ...", flush=True)
            with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
                result = measure(key, args, Path(tmp))
            print("  " + json.dumps(result), flush=True)
            if "note" in result:
                print(f"  note: {result['note']}", flush=True)
            results.append(result)
        runs.append(results)
    env["load_after"] = [round(x, 2) for x in os.getloadavg()]
    env["duration_s"] = round(time.time() - started, 1)
    return {"environment": env, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not args.no_venv:
        enter_venv(argv)
    from report import summarize, write

    if args.report_from:
        saved = json.loads(args.report_from.read_text())
        data = {"environment": saved["environment"], "runs": saved["runs"]}
        summary = summarize(data)
    else:
        data = run(args)
        summary = summarize(data)
        print(json.dumps(summary, indent=2))
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        name = f"peers-{time.strftime('%Y%m%d-%H%M%S')}.json"
        text = json.dumps({**data, "summary": summary}, indent=2)
        (results / name).write_text(text)
    if not args.no_write:
        for path in write(data, summary, args.out):
            print(f"wrote {path}")
    failed = [row["peer"] for row in summary["rows"] if row.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
