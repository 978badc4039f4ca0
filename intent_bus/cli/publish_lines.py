"""`intent-bus publish --jsonl FILE|-`: publish one intent per JSON line, in
batches (POST /intents), without holding the whole file in memory.

With GOAL, each line is a payload; without it, each line is an object of
publish arguments (``goal``, ``payload``, ``namespace``, ``priority``, ...,
``idempotency_key``). The command's options are the defaults a line may
override. Each intent carries an idempotency key (the SDK's, unless its line
gives one), so a retried request publishes it once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError
from intent_bus.cli.output import emit, emit_json, model_view

__all__ = ["run_jsonl"]


def run_jsonl(args: argparse.Namespace) -> int:
    """Publishes every line; prints one id (or, with --json, one outcome
    document) per line, in order. Exit 1 when any intent was refused."""
    if args.wait is not None:
        raise CliError("--wait cannot be used with --jsonl", EXIT_USAGE)
    if args.payload is not None:
        raise CliError(
            "give GOAL (lines are payloads) but no JSON with --jsonl", EXIT_USAGE
        )
    refused = 0
    with _lines(args.jsonl) as lines, make_client(args) as client:
        batch: list[dict[str, Any]] = []
        for number, line in lines:
            batch.append(_intent(args, number, line))
            if len(batch) >= args.batch:
                refused += _send(client, batch, args.json)
                batch = []
        if batch:
            refused += _send(client, batch, args.json)
    return EXIT_ERROR if refused else EXIT_OK


@contextmanager
def _lines(source: str) -> Iterator[Iterator[tuple[int, str]]]:
    """(line number, text) of each non-blank line of the file or stdin."""
    try:
        stream: IO[str] = (
            sys.stdin if source == "-" else Path(source).open(encoding="utf-8")
        )
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}", EXIT_USAGE) from None
    try:
        yield ((n, text) for n, text in enumerate(stream, 1) if text.strip())
    finally:
        if stream is not sys.stdin:
            stream.close()


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not allowed in JSON")


def _intent(args: argparse.Namespace, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line, parse_constant=_refuse)
    except ValueError as exc:
        raise CliError(f"line {number} is not valid JSON: {exc}", EXIT_USAGE) from None
    intent: dict[str, Any] = {
        "namespace": args.namespace,
        "priority": args.priority,
        "delay": args.delay,
        "max_attempts": args.max_attempts,
        "backoff_base": args.backoff,
        "target_worker": args.target,
        "required_capability": args.capability,
        "concurrency_key": args.concurrency_key,
    }
    if args.public:
        intent["visibility"] = protocol.VISIBILITY_PUBLIC
    if args.goal is not None:
        intent.update(goal=args.goal, payload=value)
    elif isinstance(value, dict) and "goal" in value:
        intent.update(value)
    else:
        raise CliError(
            f"line {number}: without GOAL each line must be an object with a goal",
            EXIT_USAGE,
        )
    return {k: v for k, v in intent.items() if v is not None or k == "payload"}


def _send(client: Any, batch: list[dict[str, Any]], as_json: bool) -> int:
    outcomes = client.publish_many(batch)
    refused = 0
    for outcome in outcomes:
        if as_json:
            emit_json(model_view(outcome))
        elif outcome.ok:
            emit(str(outcome.id))
        else:
            emit(f"error: {outcome.error_code}: {outcome.error_message}")
        refused += not outcome.ok
    return refused
