"""`intent-bus status ID` and `intent-bus result ID [--wait [S]]`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import EXIT_NOTHING, CliError
from intent_bus.cli.options import wait_option
from intent_bus.cli.output import (
    emit,
    emit_json,
    model_view,
    note,
    render_value,
    status_lines,
)
from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.models import IntentResult

__all__ = ["register", "show_result", "wait_and_show"]

_FIRST_POLL = 0.1
_MAX_POLL = 2.0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "status", parents=[common], help="show where an intent stands"
    )
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=run_status)

    p = commands.add_parser(
        "result",
        parents=[common],
        help="print an intent's result",
        description="Print the result of a finished intent. Exit 3 while it is "
        "not finished, 1 when it is dead.",
    )
    p.add_argument("id", metavar="ID")
    wait_option(p, "the intent to finish")
    p.set_defaults(run=run_result)


def run_status(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        view = model_view(client.get_status(args.id))
    if args.json:
        emit_json(view)
    else:
        emit(status_lines(view))
    return 0


def run_result(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        if args.wait is not None:
            return wait_and_show(client, args.id, args.wait, args.json)
        result = client.get_result(args.id)
        if result is None:
            raise _not_finished(client, args.id, args.json, "no result yet")
        return show_result(result, args.json)


def show_result(result: IntentResult, as_json: bool) -> int:
    """Print a finished intent's result; a dead intent is an error (exit 1)."""
    if as_json:
        emit_json(model_view(result))
    elif result.status == protocol.STATUS_FULFILLED:
        text = result.result_type == protocol.RESULT_TYPE_TEXT
        if result.result is not None or text:
            emit(render_value(result.result, text=text))
        else:
            # Nothing on stdout (scripts read it), but a person sees why.
            note(f"intent {result.id} was fulfilled with no result")
    if result.status == protocol.STATUS_DEAD:
        raise CliError(
            f"intent {result.id} is dead: {result.error or 'no error given'}",
            printed=as_json,
        )
    return 0


def wait_and_show(
    client: IntentClient, intent_id: str, wait: float, as_json: bool
) -> int:
    """Poll until the intent finishes (at most `wait` seconds), then show it."""
    deadline = time.monotonic() + wait
    pause = _FIRST_POLL
    while True:
        result = client.get_result(intent_id)
        if result is not None:
            return show_result(result, as_json)
        left = deadline - time.monotonic()
        if left <= 0:
            raise _not_finished(
                client, intent_id, as_json, f"no result after {wait:g} s"
            )
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, _MAX_POLL)


def _not_finished(
    client: IntentClient, intent_id: str, as_json: bool, why: str
) -> CliError:
    status = client.get_status(intent_id)
    if as_json:
        emit_json(model_view(status))
    return CliError(
        f"intent {intent_id} is {status.status}: {why}", EXIT_NOTHING, printed=as_json
    )
