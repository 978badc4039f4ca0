"""`intent-bus intents`, `show ID`, `events ID`, `explain ID`, `cancel ID`: find
intents, see one in full, what happened to it and why it is not running, and
stop it.

A tenant key sees its own intents; an admin key (``--owner``, or
``$INTENT_BUS_ADMIN_KEY``) sees every tenant's.
"""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.output import (
    emit,
    emit_json,
    json_view,
    note,
    status_lines,
    table,
    when,
)
from intent_bus.sdk.control_calls import SEARCH_STATUSES
from intent_bus.sdk.control_models import IntentRow

__all__ = ["register"]

ERROR_COLUMN = 50
"""Characters of an error shown in a table (all of it in --json)."""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "intents",
        parents=[common],
        help="list intents, newest first, with filters",
        description="List your intents, newest first (an admin key: every "
        "tenant's). Filters combine. Prints where the next page starts.",
    )
    p.add_argument(
        "--status",
        action="append",
        choices=SEARCH_STATUSES,
        help="only intents in this state (repeatable)",
    )
    p.add_argument("--goal", help="only this goal")
    p.add_argument("-n", "--namespace", help="only this namespace")
    p.add_argument("--worker", help="only those last claimed by this worker id")
    p.add_argument("--error", help="only those whose last error contains this")
    p.add_argument("--id", dest="intent_id", help="an intent id or its prefix")
    p.add_argument("--owner", help="only this tenant's (admin key)")
    p.add_argument(
        "--limit",
        type=int,
        default=protocol.INTENT_LIST_DEFAULT,
        help=f"page size, 1..{protocol.INTENT_LIST_MAX} "
        f"(default {protocol.INTENT_LIST_DEFAULT})",
    )
    p.add_argument("--cursor", help="start at this page (printed after a page)")
    p.add_argument("--all", action="store_true", help="every page, not just one")
    p.set_defaults(run=run_intents)

    p = commands.add_parser(
        "show",
        parents=[common],
        help="one intent in full: payload, result, owner, worker, concurrency key",
        description="One intent in full, as GET /intents/ID answers it: where it "
        "stands, its payload and result, its tenant, last worker, progress and "
        "the concurrency key a limit counts it by (empty fields are left out; "
        "all of them in --json).",
    )
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_show)

    p = commands.add_parser(
        "events", parents=[common], help="what happened to an intent, oldest first"
    )
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_events)

    p = commands.add_parser(
        "explain",
        parents=[common],
        help="why an intent is not running (or how it ended)",
    )
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_explain)

    p = commands.add_parser(
        "cancel",
        parents=[common],
        help="cancel an intent (a running one stops at its next lease renewal)",
    )
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_cancel)


def _admin(args: argparse.Namespace) -> bool:
    return getattr(args, "owner", None) is not None


def _short_error(error: str | None) -> str | None:
    flat = " ".join((error or "").split())
    if len(flat) > ERROR_COLUMN:
        flat = flat[: ERROR_COLUMN - 1] + "…"
    return flat or None


def intent_rows(rows: list[IntentRow]) -> str:
    return table(
        (
            (
                r.id,
                r.status + (" (cancel requested)" if r.cancel_requested else ""),
                r.goal,
                r.namespace,
                f"{r.claim_attempts}/{r.max_attempts}",
                r.worker,
                when(r.created_at),
                _short_error(r.error),
            )
            for r in rows
        ),
        ("ID", "STATUS", "GOAL", "NAMESPACE", "TRIES", "WORKER", "CREATED", "ERROR"),
    )


def run_intents(args: argparse.Namespace) -> int:
    filters = {
        "status": args.status,
        "goal": args.goal,
        "namespace": args.namespace,
        "worker": args.worker,
        "error": args.error,
        "intent_id": args.intent_id,
        "owner": args.owner,
        "limit": args.limit,
    }
    with make_client(args, admin=_admin(args)) as client:
        if args.all:
            rows = list(client.iter_intents(**filters))
            cursor = None
        else:
            page = client.list_intents(cursor=args.cursor, **filters)
            rows, cursor = list(page.intents), page.next_cursor
    if args.json:
        emit_json({"intents": json_view(rows), "next_cursor": cursor})
        return 0
    if rows:
        emit(intent_rows(rows))
    else:
        note("no intents match")
    if cursor is not None:
        note(f"more: add --cursor {cursor} (or --all)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        view = json_view(client.get_intent(args.id))
    if args.json:
        emit_json(view)
    else:
        emit(status_lines(view))
    return 0


def run_events(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        events = client.intent_events(args.id)
    if args.json:
        emit_json({"id": args.id, "events": json_view(events)})
        return 0
    rows = []
    for e in events:
        said = e.error if e.error is not None else e.detail
        rows.append(
            (
                when(e.at),
                e.type,
                e.worker,
                e.attempt,
                None if said is None else _short_error(str(said)),
            )
        )
    emit(table(rows, ("TIME", "EVENT", "WORKER", "ATTEMPT", "DETAIL")))
    return 0


def run_explain(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        explanation = client.explain(args.id)
    if args.json:
        emit_json(json_view(explanation))
        return 0
    verdict = "claimable now" if explanation.claimable_now else "not claimable now"
    lines = [f"intent {explanation.id} is {explanation.status}: {verdict}"]
    lines += [f"  {r.code}: {r.message}" for r in explanation.reasons]
    emit("\n".join(lines))
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        row = client.cancel(args.id)
    if args.json:
        emit_json(json_view(row))
    elif row.status == protocol.STATUS_CANCELLED:
        emit(f"cancelled {row.id}")
    else:
        by = f" by {row.worker}" if row.worker else ""
        emit(
            f"cancel requested for {row.id} ({row.status}{by}): its worker "
            "is told at its next lease renewal"
        )
    return 0
