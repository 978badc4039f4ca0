"""`intent-bus limit set|list|delete`: concurrency limits of a namespace and goal."""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.output import emit, emit_json, model_view, note, table
from intent_bus.sdk.client import IntentClient

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    limit = commands.add_parser(
        "limit",
        parents=[common],
        help="cap how many intents of a goal run at once",
        description="Concurrency limits: at most N intents of a namespace and goal "
        "are claimed at once, on every server replica. An admin key picks a "
        "tenant with --owner.",
    )
    sub = limit.add_subparsers(
        dest="limit_command", metavar="{set,list,delete}", required=True
    )
    p = sub.add_parser("set", parents=[common], help="set or replace a limit")
    p.add_argument("goal", metavar="GOAL")
    p.add_argument("max_running", metavar="N", type=int, help="at most N at once")
    p.add_argument(
        "--per-key",
        type=int,
        metavar="M",
        help="at most M at once with one concurrency key",
    )
    p.add_argument("-n", "--namespace", default=protocol.DEFAULT_NAMESPACE)
    p.add_argument("--owner", help="admins: whose intents")
    p.set_defaults(run=run_set)
    p = sub.add_parser("delete", parents=[common], help="remove a limit")
    p.add_argument("goal", metavar="GOAL")
    p.add_argument("-n", "--namespace", default=protocol.DEFAULT_NAMESPACE)
    p.add_argument("--owner", help="admins: whose limit")
    p.set_defaults(run=run_delete)
    p = sub.add_parser("list", parents=[common], help="list limits and what runs")
    p.add_argument("--owner", help="admins: only this tenant's")
    p.set_defaults(run=run_list)


def _client(args: argparse.Namespace) -> IntentClient:
    return make_client(args, admin=args.owner is not None)


def run_set(args: argparse.Namespace) -> int:
    with _client(args) as client:
        limit = client.set_limit(
            args.namespace, args.goal, args.max_running, args.per_key, args.owner
        )
    if args.json:
        emit_json(model_view(limit))
    else:
        per_key = f", {limit.max_per_key} per key" if limit.max_per_key else ""
        emit(
            f"at most {limit.max_running} of {limit.goal} in {limit.namespace}"
            f"{per_key} ({limit.running} running)"
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        limits = client.limits(args.owner)
    if args.json:
        emit_json({"limits": [model_view(lim) for lim in limits]})
    elif limits:
        rows = [
            (
                lim.owner,
                lim.namespace,
                lim.goal,
                str(lim.running),
                str(lim.max_running),
                "-" if lim.max_per_key is None else str(lim.max_per_key),
            )
            for lim in limits
        ]
        emit(table(rows, ("OWNER", "NAMESPACE", "GOAL", "RUNNING", "MAX", "PER KEY")))
    else:
        note("no limits")  # stderr: stdout stays empty for scripts
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with _client(args) as client:
        client.delete_limit(args.namespace, args.goal, args.owner)
    if args.json:
        emit_json({"deleted": True, "namespace": args.namespace, "goal": args.goal})
    else:
        emit(f"deleted the limit of {args.goal} in {args.namespace}")
    return 0
