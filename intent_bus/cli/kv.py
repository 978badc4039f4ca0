"""`intent-bus kv get KEY` and `intent-bus kv set KEY JSON [--ttl S]`."""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import CliError
from intent_bus.cli.options import json_argument
from intent_bus.cli.output import emit, emit_json, render_value

__all__ = ["register"]

_MISSING: Any = object()


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    kv = commands.add_parser(
        "kv",
        parents=[common],
        help="the shared key-value store",
        description="The tenant's key-value store.",
    )
    sub = kv.add_subparsers(dest="kv_command", metavar="{get,set}", required=True)

    p = sub.add_parser(
        "get",
        parents=[common],
        help="print a value (exit 1 when missing or expired)",
    )
    p.add_argument("key", metavar="KEY")
    p.set_defaults(run=run_get)

    p = sub.add_parser("set", parents=[common], help="store a JSON value")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="JSON", help="the value, a JSON document")
    p.add_argument(
        "--ttl",
        type=int,
        default=protocol.KV_DEFAULT_TTL,
        metavar="S",
        help=f"seconds to keep it (default {protocol.KV_DEFAULT_TTL})",
    )
    p.set_defaults(run=run_set)


def run_get(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        value = client.get(args.key, default=_MISSING)
    if value is _MISSING:
        raise CliError(f"not found: key {args.key!r} is missing or expired")
    if args.json:
        emit_json(value)
    else:
        emit(render_value(value))
    return 0


def run_set(args: argparse.Namespace) -> int:
    value = json_argument(args.value, "JSON value")
    with make_client(args) as client:
        client.set(args.key, value, ttl=args.ttl)
    if args.json:
        emit_json({"ok": True, "key": args.key, "ttl": args.ttl})
    return 0
