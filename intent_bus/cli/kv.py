"""`intent-bus kv get KEY` and `intent-bus kv set KEY JSON [--ttl S]`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import CliError
from intent_bus.cli.options import json_argument
from intent_bus.cli.output import emit, emit_json, note, render_value
from intent_bus.sdk import calls

__all__ = ["register"]

_MISSING: Any = object()
_SKEW = 5


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
    p.add_argument(
        "value",
        metavar="JSON",
        help="the value: a JSON document, - to read it from stdin, @FILE from a file",
    )
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
        # The server's answer carries expires_at, which `set` does not return:
        # the TTL shown is what the server kept, after its cap.
        answer = client._send(calls.kv_set(args.key, value, args.ttl))
    ttl = stored_ttl(args.ttl, answer.get("expires_at"), time.time())
    if ttl < args.ttl:
        note(f"the server capped the TTL of {args.key!r} at {ttl} s")
    if args.json:
        emit_json({"ok": True, "key": args.key, "ttl": ttl})
    return 0


def stored_ttl(asked: int, expires_at: Any, now: float) -> int:
    """The TTL the server kept: what was asked unless expires_at is clearly
    earlier (a few seconds of clock skew are not a cap)."""
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
        return asked
    kept = round(expires_at - now)
    return kept if kept < asked - _SKEW else asked
