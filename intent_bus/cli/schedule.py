"""`intent-bus schedule set|list|show|delete|trigger`: the tenant's cron schedules."""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.options import json_argument, positive_float
from intent_bus.cli.output import emit, emit_json, model_view, note, table, when

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    schedule = commands.add_parser(
        "schedule",
        parents=[common],
        help="publish an intent on a cron schedule",
        description="Cron schedules: the server publishes the intent at every tick. "
        "An admin key sees every tenant's and picks one with --owner.",
    )
    sub = schedule.add_subparsers(
        dest="schedule_command",
        metavar="{set,list,show,delete,trigger}",
        required=True,
    )
    p = sub.add_parser("set", parents=[common], help="create or replace a schedule")
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "cron",
        metavar="CRON",
        help="5 fields, or 6 with leading seconds: '*/10 * * * * *'",
    )
    p.add_argument("goal", metavar="GOAL")
    p.add_argument(
        "payload",
        metavar="JSON",
        nargs="?",
        default="null",
        help="the payload: JSON, - for stdin, @FILE (default null)",
    )
    p.add_argument("--timezone", default=protocol.DEFAULT_TIMEZONE, metavar="ZONE")
    p.add_argument("--overlap", choices=protocol.OVERLAPS, default="allow")
    p.add_argument(
        "--catch-up", choices=protocol.CATCH_UPS, default=protocol.CATCH_UP_LATEST
    )
    p.add_argument("--paused", action="store_true", help="define it without firing")
    p.add_argument("-n", "--namespace", default=protocol.DEFAULT_NAMESPACE)
    p.add_argument("-p", "--public", action="store_true")
    p.add_argument("--priority", type=int, default=protocol.DEFAULT_PRIORITY)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--max-attempts", type=int, default=protocol.DEFAULT_MAX_ATTEMPTS)
    p.add_argument(
        "--backoff",
        type=positive_float,
        default=protocol.DEFAULT_BACKOFF_BASE,
        metavar="S",
    )
    p.add_argument("--target", metavar="WORKER_ID")
    p.add_argument("--capability")
    p.add_argument(
        "--concurrency-key",
        metavar="KEY",
        help="each published intent carries it (e.g. a customer id): a limit's "
        "--per-key caps intents sharing it",
    )
    p.add_argument("--owner", help="admins: the tenant it belongs to")
    p.set_defaults(run=run_set)
    for name, run, text in (
        ("show", run_show, "a schedule and its next fire times"),
        ("delete", run_delete, "delete a schedule"),
        ("trigger", run_trigger, "publish one tick now"),
    ):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("name", metavar="NAME")
        p.add_argument("--owner", help="admins: whose schedule")
        p.set_defaults(run=run)
    p = sub.add_parser("list", parents=[common], help="list schedules")
    p.add_argument("--owner", help="admins: only this tenant's")
    p.set_defaults(run=run_list)


def _view(schedule: Any) -> dict[str, Any]:
    view = model_view(schedule)
    view["intent"] = dict(view["intent"])
    view["next_fire_times"] = list(view["next_fire_times"])
    return view


def _show(view: dict[str, Any]) -> str:
    intent = view["intent"]
    key = intent.get("concurrency_key")
    keyed = f", concurrency key {key}" if key else ""
    lines = [
        f"name       {view['name']} (owner {view['owner']})",
        f"cron       {view['cron']}  [{view['timezone']}]",
        f"publishes  {intent.get('goal')} in {intent.get('namespace')}{keyed}",
        f"overlap    {view['overlap']}, catch-up {view['catch_up']}",
        f"paused     {'yes' if view['paused'] else 'no'}",
    ]
    for stamp in view["next_fire_times"]:
        lines.append(f"next       {when(stamp)}")
    if view.get("last_intent_id"):
        lines.append(
            f"last       {when(view['last_scheduled_for'])} -> {view['last_intent_id']}"
        )
    return "\n".join(lines)


def _emit(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(view)
    else:
        emit(_show(view))


def run_set(args: argparse.Namespace) -> int:
    payload = json_argument(args.payload, "JSON payload")
    with make_client(args) as client:
        schedule = client.set_schedule(
            args.name,
            args.cron,
            args.goal,
            payload,
            timezone=args.timezone,
            overlap=args.overlap,
            catch_up=args.catch_up,
            paused=args.paused,
            namespace=args.namespace,
            visibility=(
                protocol.VISIBILITY_PUBLIC
                if args.public
                else protocol.VISIBILITY_PRIVATE
            ),
            priority=args.priority,
            delay=args.delay,
            max_attempts=args.max_attempts,
            backoff_base=args.backoff,
            target_worker=args.target,
            required_capability=args.capability,
            owner=args.owner,
            concurrency_key=args.concurrency_key,
        )
    view = _view(schedule)
    _emit(view, args.json)
    return 0


def run_show(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        view = _view(client.get_schedule(args.name, args.owner))
    _emit(view, args.json)
    return 0


def run_list(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        views = [_view(s) for s in client.list_schedules(args.owner)]
    if args.json:
        emit_json({"schedules": views})
    elif views:
        rows = [
            (
                v["name"],
                v["owner"],
                v["cron"],
                v["timezone"],
                v["intent"].get("goal"),
                "paused" if v["paused"] else when(v["next_fire_at"]),
            )
            for v in views
        ]
        emit(table(rows, ("NAME", "OWNER", "CRON", "ZONE", "GOAL", "NEXT")))
    else:
        note("no schedules")  # stderr: stdout stays empty for scripts
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        client.delete_schedule(args.name, args.owner)
    if args.json:
        emit_json({"deleted": args.name})
    else:
        emit(f"deleted {args.name}")
    return 0


def run_trigger(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        tick = model_view(client.trigger_schedule(args.name, args.owner))
    if args.json:
        emit_json(tick)
    else:
        emit(tick["intent_id"])
    return 0
