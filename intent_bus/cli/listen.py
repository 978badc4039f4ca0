"""`intent-bus listen GOAL`: a worker from the command line.

Without ``--exec`` each payload is printed (redacted unless ``--show-payload``)
and the intent fulfilled, as the seed README's CLI does; with ``--exec CMD``
the command does the work (see `intent_bus.worker.execrunner`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from intent_bus import protocol
from intent_bus.cli.connect import make_client
from intent_bus.cli.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
)
from intent_bus.cli.options import positive_float
from intent_bus.cli.output import emit, emit_json, render_value
from intent_bus.worker.execrunner import run_command
from intent_bus.worker.outcome import Outcome
from intent_bus.worker.redact import redact
from intent_bus.worker.runtime import Processed, WorkerRuntime

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "listen",
        parents=[common],
        help="claim and process intents for GOAL",
        description="Claim intents for GOAL and process them until SIGINT/SIGTERM "
        "(a second signal aborts). --once: exit 0 after one intent was "
        "fulfilled, 1 if it failed, 3 if there was none.",
    )
    p.add_argument("goal", metavar="GOAL")
    p.add_argument("-n", "--namespace", default=protocol.DEFAULT_NAMESPACE)
    p.add_argument("-w", "--worker-id", help="default: host name and process id")
    p.add_argument(
        "-c",
        "--capabilities",
        default="",
        metavar="CAPS",
        help="comma-separated capabilities, e.g. gpu,ffmpeg",
    )
    p.add_argument(
        "--publisher", metavar="OWNER", help="only intents published by this tenant"
    )
    p.add_argument(
        "-s",
        "--silent",
        action="store_true",
        help="no payload dumps, only warnings and errors on stderr",
    )
    p.add_argument(
        "--once", action="store_true", help="process at most one intent, then exit"
    )
    p.add_argument(
        "--wait",
        type=positive_float,
        default=None,
        metavar="S",
        help="with --once: wait up to S seconds (max 30) for an intent",
    )
    p.add_argument(
        "--interval",
        type=positive_float,
        default=5.0,
        metavar="S",
        help="base polling interval in seconds (default 5.0)",
    )
    p.add_argument("--concurrency", type=int, default=1, metavar="N")
    p.add_argument(
        "--exec",
        dest="command",
        metavar="CMD",
        help="shell command run per intent: payload JSON on stdin, result from "
        "stdout, non-zero exit fails the intent with its stderr",
    )
    p.add_argument(
        "--show-payload",
        action="store_true",
        help="print payloads as they are (default: secret-looking fields masked)",
    )
    p.set_defaults(run=run)


def _setup_logging(silent: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("intent_bus")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if silent else logging.INFO)
    root.propagate = False


def _handler(args: argparse.Namespace) -> Any:
    if args.command:
        command: str = args.command
        return lambda intent: run_command(command, intent)

    def show(intent: Any) -> None:
        if args.silent or args.json:
            return
        payload = intent.payload if args.show_payload else redact(intent.payload)
        emit(render_value(payload))

    return show


def _print_outcome(intent: Any, verdict: Outcome, reported: bool) -> None:
    view = verdict.to_json(intent.id)
    if not reported:
        view["reported"] = False
    emit_json(view)


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise _usage("--concurrency must be at least 1")
    if args.wait is not None and not args.once:
        raise _usage("--wait needs --once (listen long-polls on its own)")
    if args.wait is not None and args.wait > protocol.MAX_WAIT_SECONDS:
        raise _usage(f"--wait must be at most {protocol.MAX_WAIT_SECONDS:g}")
    _setup_logging(args.silent)
    with make_client(args) as client:
        runtime = WorkerRuntime(
            client,
            worker_id=args.worker_id,
            capabilities=args.capabilities,
            poll_interval=args.interval,
            concurrency=args.concurrency,
            on_outcome=_print_outcome if args.json and not args.once else None,
        )
        handler = _handler(args)
        if args.once:
            done = runtime.process_one(
                args.goal,
                handler,
                namespace=args.namespace,
                full_envelope=True,
                publisher=args.publisher,
                wait=args.wait,
            )
            return _once_exit(done, args.json, runtime.aborted)
        runtime.listen(
            args.goal,
            handler,
            namespace=args.namespace,
            full_envelope=True,
            publisher=args.publisher,
        )
        return EXIT_INTERRUPTED if runtime.aborted else EXIT_OK


def _once_exit(done: Processed | None, as_json: bool, aborted: bool) -> int:
    if done is None:
        if as_json:
            emit_json(None)
        return EXIT_NOTHING
    if as_json:
        _print_outcome(done.intent, done.outcome, done.reported)
    if aborted:
        return EXIT_INTERRUPTED
    return EXIT_OK if done.outcome.fulfilled and done.reported else EXIT_ERROR


def _usage(message: str) -> CliError:
    return CliError(message, EXIT_USAGE)
