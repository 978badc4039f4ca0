"""`intent-bus keys create OWNER | list | revoke ID` (admin key needed)."""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus.cli.connect import make_client
from intent_bus.cli.output import emit, emit_json, json_view, table, when

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    keys = commands.add_parser(
        "keys",
        parents=[common],
        help="manage tenant API keys (admin)",
        description="Manage tenant API keys. Needs an admin key: --api-key, "
        "else $INTENT_BUS_ADMIN_KEY, else the usual key lookup.",
    )
    sub = keys.add_subparsers(
        dest="keys_command", metavar="{create,list,revoke}", required=True
    )
    p = sub.add_parser(
        "create",
        parents=[common],
        help="create a key for OWNER (a tenant); prints the key",
    )
    p.add_argument("owner", metavar="OWNER")
    p.set_defaults(run=run_create)
    p = sub.add_parser("list", parents=[common], help="list keys (never secrets)")
    p.set_defaults(run=run_list)
    p = sub.add_parser("revoke", parents=[common], help="revoke a key by its id")
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    with make_client(args, admin=True) as client:
        created = client.create_key(args.owner)
    if args.json:
        emit_json(json_view(created))
    else:
        emit(created.api_key)
    return 0


def run_list(args: argparse.Namespace) -> int:
    with make_client(args, admin=True) as client:
        keys = client.list_keys()
    if args.json:
        emit_json({"keys": json_view(keys)})
    elif keys:
        rows = [
            (k.id, k.owner, k.role, when(k.created_at), when(k.revoked_at))
            for k in keys
        ]
        emit(table(rows, ("ID", "OWNER", "ROLE", "CREATED", "REVOKED")))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    with make_client(args, admin=True) as client:
        revoked = client.revoke_key(args.id)
    if args.json:
        emit_json(json_view(revoked))
    else:
        emit(f"revoked {revoked.id} ({revoked.owner})")
    return 0
