"""`intent-bus`: the command line's entry point and its one error boundary.

Each command group lives in its own module with a ``register`` function; this
module builds the parser from them, runs the chosen command and turns every
expected failure into one line on stderr and an exit code (see
`intent_bus.cli.errors`). ``intent-bus server ...`` is handed to the server's
own parser before anything else is parsed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from intent_bus import __version__
from intent_bus.cli import dead, keys, kv, listen, publish, server, status
from intent_bus.cli.connect import url_of
from intent_bus.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, CliError, describe
from intent_bus.cli.options import Parser, add_common
from intent_bus.sdk.exceptions import IntentBusError

__all__ = ["build_parser", "main"]

PROG = "intent-bus"
_GROUPS = (listen, publish, status, kv, keys, dead, server)


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Intent Bus: publish, claim and process intents over HTTP.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    add_common(parser)
    common = Parser(add_help=False)
    add_common(common)
    commands = parser.add_subparsers(
        dest="command_name", metavar="COMMAND", required=True, parser_class=Parser
    )
    for group in _GROUPS:
        group.register(commands, common)
    return parser


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    try:
        if args_list[:1] == ["server"]:
            return server.run_server(args_list[1:])
        args = build_parser().parse_args(args_list)
        for name, default in (("url", None), ("api_key", None), ("json", False)):
            if not hasattr(args, name):
                setattr(args, name, default)
        code: int = args.run(args)
        return code
    except CliError as exc:
        return _fail(exc.message, exc.code)
    except IntentBusError as exc:
        url = url_of(args) if args is not None else None
        return _fail(describe(exc, url), EXIT_ERROR)
    except SystemExit as exc:
        # --help and --version end here, as does a server that exits.
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return _fail(str(exc.code), EXIT_ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # stdout closed early (`| head`): silence the flush at exit too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
