"""`intent-bus listen GOAL`: a worker from the command line.

With ``--exec CMD`` the command does the work (see
`intent_bus.worker.execrunner`). Without it each payload is printed (redacted
unless ``--show-payload``) and the intent fulfilled with no result, as the seed
README's worker node does. Claiming is not watching: at a terminal, where
someone may run it just to look at a queue, that default needs ``--ack``, so a
curious look does not drain real work. (Scripts and services, whose stdin is
not a terminal, keep the seed's behaviour.)
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
from intent_bus.cli.options import add_common, positive_float
from intent_bus.cli.output import emit, emit_json, render_value
from intent_bus.worker.execrunner import CommandRunner
from intent_bus.worker.outcome import Outcome
from intent_bus.worker.redact import redact
from intent_bus.worker.runtime import Processed, WorkerRuntime

__all__ = ["register"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "listen",
        help="claim and process intents for GOAL (--exec CMD or --ack)",
        description="Claim intents for GOAL and process them until SIGINT/SIGTERM "
        "(a second signal aborts and kills running --exec commands). With "
        "--exec CMD the command does the work; without it each payload is "
        "printed and the intent FULFILLED WITH NO RESULT: listen takes intents "
        "from the queue, it is not a way to watch one. At a terminal that needs "
        "--ack. --once: exit 0 after one intent was fulfilled, 1 if it failed, "
        "3 if there was none.",
    )
    add_common(
        p,
        json_help="print one JSON line per finished intent on stdout ({id, status, "
        "result, ...}); with --once, one JSON document",
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
        "--timeout",
        type=positive_float,
        default=None,
        metavar="S",
        help="with --exec: kill the command after S seconds and fail the intent",
    )
    p.add_argument(
        "--ack",
        action="store_true",
        help="without --exec: yes, print each payload and fulfill the intent "
        "with no result (needed when stdin is a terminal)",
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


def _handler(args: argparse.Namespace, runner: CommandRunner | None) -> Any:
    if runner is not None:
        return runner

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
    if args.command and args.ack:
        raise _usage("--exec and --ack exclude each other")
    if not args.command and not args.ack and sys.stdin.isatty():
        raise _usage(
            "without --exec, listen fulfills every intent it claims with no "
            "result (it takes work from the queue, it does not watch it): pass "
            "--exec CMD to do the work, or --ack to print and fulfill them"
        )
    if args.timeout is not None and not args.command:
        raise _usage("--timeout needs --exec")
    runner = CommandRunner(args.command, args.timeout) if args.command else None
    _setup_logging(args.silent)
    try:
        return _listen(args, runner)
    finally:
        if runner is not None:
            # After a graceful stop nothing runs; after an abort the commands
            # of the intents just failed must not live on as orphans.
            runner.kill_all()


def _listen(args: argparse.Namespace, runner: CommandRunner | None) -> int:
    with make_client(args) as client:
        runtime = WorkerRuntime(
            client,
            worker_id=args.worker_id,
            capabilities=args.capabilities,
            poll_interval=args.interval,
            concurrency=args.concurrency,
            on_outcome=_print_outcome if args.json and not args.once else None,
        )
        handler = _handler(args, runner)
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
