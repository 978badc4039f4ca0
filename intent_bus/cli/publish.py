"""`intent-bus publish GOAL JSON`: publish an intent, optionally wait for it;
with ``--jsonl FILE``, one per line, in batches (`publish_lines`)."""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import EXIT_USAGE, CliError
from intent_bus.cli.options import json_argument, positive_float, wait_option
from intent_bus.cli.output import emit, emit_json, model_view
from intent_bus.cli.publish_lines import run_jsonl
from intent_bus.cli.status import wait_and_show

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "publish",
        parents=[common],
        help="publish an intent",
        description="Publish an intent; prints its id (with --wait: its result).",
    )
    p.add_argument("goal", metavar="GOAL", nargs="?")
    p.add_argument(
        "payload",
        metavar="JSON",
        nargs="?",
        help="the payload: a JSON document, - to read it from stdin, @FILE from a file",
    )
    p.add_argument(
        "--jsonl",
        metavar="FILE",
        help="publish one intent per line of FILE (- for stdin), in batches: a "
        "payload per line with GOAL, else an object of publish arguments",
    )
    p.add_argument(
        "--batch",
        type=batch_size,
        default=protocol.PUBLISH_BATCH_MAX,
        metavar="N",
        help=f"with --jsonl: lines per request (default {protocol.PUBLISH_BATCH_MAX})",
    )
    p.add_argument("-n", "--namespace", default=protocol.DEFAULT_NAMESPACE)
    p.add_argument(
        "-p",
        "--public",
        action="store_true",
        help="any worker asking for GOAL may claim it, in any namespace",
    )
    p.add_argument(
        "--priority",
        type=int,
        default=protocol.DEFAULT_PRIORITY,
        help=f"{protocol.PRIORITY_MIN}..{protocol.PRIORITY_MAX}, higher first "
        f"(default {protocol.DEFAULT_PRIORITY})",
    )
    p.add_argument(
        "--delay", type=float, default=0.0, help="seconds before it may be claimed"
    )
    p.add_argument("--max-attempts", type=int, default=protocol.DEFAULT_MAX_ATTEMPTS)
    p.add_argument(
        "--backoff",
        type=positive_float,
        default=protocol.DEFAULT_BACKOFF_BASE,
        metavar="S",
        help="base of the retry backoff in seconds",
    )
    p.add_argument(
        "--target", metavar="WORKER_ID", help="only this worker may claim it"
    )
    p.add_argument(
        "--capability", help="only workers with this capability may claim it"
    )
    p.add_argument(
        "--concurrency-key",
        metavar="KEY",
        help="e.g. a customer id: a limit's --per-key caps intents sharing it",
    )
    p.add_argument(
        "--idempotency",
        metavar="KEY",
        help="idempotency key: publishing again with it creates no second intent",
    )
    wait_option(p, "the result and print it")
    p.set_defaults(run=run)


def batch_size(text: str) -> int:
    """argparse type for --batch: 1..PUBLISH_BATCH_MAX."""
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 1 <= size <= protocol.PUBLISH_BATCH_MAX:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 1 to {protocol.PUBLISH_BATCH_MAX}"
        )
    return size


def run(args: argparse.Namespace) -> int:
    if args.jsonl is not None:
        return run_jsonl(args)
    if args.goal is None or args.payload is None:
        missing = "JSON" if args.goal is not None else "GOAL, JSON"
        raise CliError(
            f"the following arguments are required: {missing} (or --jsonl FILE)"
            " (see intent-bus publish --help)",
            EXIT_USAGE,
        )
    payload = json_argument(args.payload, "JSON payload")
    with make_client(args) as client:
        job = client.publish(
            args.goal,
            payload,
            namespace=args.namespace,
            priority=args.priority,
            delay=args.delay,
            max_attempts=args.max_attempts,
            backoff_base=args.backoff,
            target_worker=args.target,
            required_capability=args.capability,
            idempotency_key=args.idempotency,
            public=args.public,
            concurrency_key=args.concurrency_key,
        )
        if args.wait is None:
            if args.json:
                emit_json(model_view(job))
            else:
                emit(job.id)
            return 0
        return wait_and_show(client, job.id, args.wait, args.json)
