"""`intent-bus dead list | requeue ID`: the dead-letter queue (admin key needed)."""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus.cli.connect import make_client
from intent_bus.cli.output import emit, emit_json, model_view, note, table

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    dead = commands.add_parser(
        "dead",
        parents=[common],
        help="list and requeue dead intents (admin)",
        description="Dead intents of every tenant. Needs an admin key: --api-key, "
        "else $INTENT_BUS_ADMIN_KEY, else the usual key lookup.",
    )
    sub = dead.add_subparsers(
        dest="dead_command", metavar="{list,requeue}", required=True
    )
    p = sub.add_parser("list", parents=[common], help="list dead intents")
    p.add_argument("--owner", help="only this tenant's")
    p.add_argument("-n", "--namespace", help="only this namespace's")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(run=run_list)
    p = sub.add_parser(
        "requeue",
        parents=[common],
        help="give a dead intent a fresh set of attempts",
    )
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_requeue)


def run_list(args: argparse.Namespace) -> int:
    with make_client(args, admin=True) as client:
        dead = client.list_dead(args.owner, args.namespace, args.limit)
    # The server's JSON views, field for field (the owner rides in ``extra``).
    intents = [model_view(intent) for intent in dead]
    if args.json:
        emit_json({"intents": intents})
    elif intents:
        rows = [
            (
                i.get("id"),
                i.get("owner"),
                i.get("namespace"),
                i.get("goal"),
                i.get("claim_attempts"),
                " ".join(str(i.get("error") or "").split())[:60] or None,
            )
            for i in intents
        ]
        emit(table(rows, ("ID", "OWNER", "NAMESPACE", "GOAL", "ATTEMPTS", "ERROR")))
    else:
        note("no dead intents")  # stderr: stdout stays empty for scripts
    return 0


def run_requeue(args: argparse.Namespace) -> int:
    with make_client(args, admin=True) as client:
        view = model_view(client.requeue(args.id))
    if args.json:
        emit_json(view)
    else:
        emit(f"requeued {view.get('id', args.id)} (status {view.get('status')})")
    return 0
