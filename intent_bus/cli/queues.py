"""`intent-bus pause`/`resume` (with `--list`), `workers` and `stats` (with
`--watch`): steer and watch the queues as a whole."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import EXIT_USAGE, CliError
from intent_bus.cli.options import positive_float
from intent_bus.cli.output import (
    age,
    emit,
    emit_json,
    json_view,
    note,
    table,
    when,
)
from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.control_models import QueueOverview

__all__ = ["register", "stats_table"]

WATCH_DEFAULT = 2.0
"""Seconds between refreshes of `stats --watch`."""

_CLEAR = "\x1b[H\x1b[2J"
"""Cursor home, clear screen: `--watch` redraws in place."""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    for verb, text in (
        ("pause", "stop claims of a namespace (or one goal in it)"),
        ("resume", "lift a pause"),
    ):
        p = commands.add_parser(
            verb,
            parents=[common],
            help=text,
            description=f"{text[0].upper()}{text[1:]}, on every server replica. "
            "Publishing still works while paused.",
        )
        p.add_argument("namespace", metavar="NAMESPACE", nargs="?")
        p.add_argument("--goal", help="only this goal (default: the namespace)")
        p.add_argument("--owner", help="this tenant's intents (admin key)")
        if verb == "pause":
            p.add_argument(
                "--list", action="store_true", help="list the pauses in force"
            )
        p.set_defaults(run=run_pause if verb == "pause" else run_resume)

    p = commands.add_parser(
        "workers",
        parents=[common],
        help="list workers: live, idle or gone",
    )
    p.add_argument("--owner", help="only this tenant's (admin key)")
    p.set_defaults(run=run_workers)

    p = commands.add_parser(
        "stats",
        parents=[common],
        help="counts, oldest waiting and throughput per namespace and goal",
    )
    p.add_argument("--owner", help="only this tenant's (admin key)")
    p.add_argument(
        "--watch",
        nargs="?",
        const=WATCH_DEFAULT,
        type=positive_float,
        metavar="S",
        help=f"refresh in place every S seconds (default {WATCH_DEFAULT:g}) "
        "until Ctrl-C",
    )
    p.set_defaults(run=run_stats)


def _client(args: argparse.Namespace) -> IntentClient:
    return make_client(args, admin=getattr(args, "owner", None) is not None)


def _namespace(args: argparse.Namespace) -> str:
    if args.namespace is None:
        raise CliError(f"{args.command_name} needs a NAMESPACE", EXIT_USAGE)
    return str(args.namespace)


def run_pause(args: argparse.Namespace) -> int:
    if args.list:
        with _client(args) as client:
            pauses = client.list_pauses(args.owner)
        if args.json:
            emit_json({"pauses": json_view(pauses)})
        elif pauses:
            rows = [
                (p.owner, p.namespace, p.goal or "(all goals)", when(p.paused_at))
                for p in pauses
            ]
            emit(table(rows, ("OWNER", "NAMESPACE", "GOAL", "SINCE")))
        else:
            note("nothing is paused")
        return 0
    with _client(args) as client:
        paused = client.pause(_namespace(args), args.goal, args.owner)
    if args.json:
        emit_json(json_view(paused))
    else:
        what = f"goal {paused.goal} in " if paused.goal else ""
        emit(f"paused {what}namespace {paused.namespace}")
    return 0


def run_resume(args: argparse.Namespace) -> int:
    with _client(args) as client:
        resumed = client.resume(_namespace(args), args.goal, args.owner)
    if args.json:
        emit_json({"resumed": resumed})
    elif resumed:
        emit("resumed")
    else:
        note("nothing to resume: no such pause")
    return 0


def run_workers(args: argparse.Namespace) -> int:
    with _client(args) as client:
        workers = client.list_workers(args.owner)
    if args.json:
        emit_json({"workers": json_view(workers)})
        return 0
    if not workers:
        note("no worker has been seen")
        return 0
    now = time.time()
    rows = [
        (
            w.worker_id,
            w.owner,
            w.state,
            w.in_flight,
            ",".join(w.goals) or None,
            ",".join(w.capabilities) or None,
            None if w.last_seen is None else f"{age(now - w.last_seen)} ago",
        )
        for w in workers
    ]
    emit(
        table(
            rows,
            ("WORKER", "OWNER", "STATE", "IN FLIGHT", "GOALS", "CAPS", "LAST SEEN"),
        )
    )
    return 0


def stats_table(overview: QueueOverview) -> str:
    """One line per (tenant, namespace, goal): counts, oldest waiting, the
    completions of the last minute and hour."""
    if not overview.groups:
        return "no intents"
    rows = []
    for g in overview.groups:
        c = g.counts
        rates = g.completions_per_minute
        rows.append(
            (
                g.owner,
                g.namespace,
                g.goal + (" (paused)" if g.paused else ""),
                c.get("open", 0),
                c.get("claimed", 0),
                c.get("fulfilled", 0),
                c.get("dead", 0),
                c.get("cancelled", 0),
                age(g.oldest_open_age),
                f"{rates[-1]:g}" if rates else None,
                f"{sum(rates):g}" if rates else None,
            )
        )
    header = (
        "OWNER",
        "NAMESPACE",
        "GOAL",
        "OPEN",
        "CLAIMED",
        "DONE",
        "DEAD",
        "CANCELLED",
        "OLDEST",
        "LAST MIN",
        "LAST HOUR",
    )
    return table(rows, header)


def run_stats(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.watch is None:
            overview = client.stats(args.owner)
            if args.json:
                emit_json(json_view(overview))
            else:
                emit(stats_table(overview))
            return 0
        try:
            while True:
                overview = client.stats(args.owner)
                if args.json:
                    emit_json(json_view(overview))
                else:
                    stamp = when(overview.generated_at) or when(time.time())
                    sys.stdout.write(_CLEAR)
                    emit(f"{stamp}  (every {args.watch:g} s, Ctrl-C to stop)")
                    emit(stats_table(overview))
                time.sleep(args.watch)
        except KeyboardInterrupt:
            return 0
