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
import warnings
from collections.abc import Sequence
from typing import TextIO

from intent_bus import __version__, protocol
from intent_bus.cli import (
    dead,
    intents,
    keys,
    kv,
    limit,
    listen,
    publish,
    queues,
    schedule,
    server,
    status,
)
from intent_bus.cli.connect import url_of
from intent_bus.cli.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    CliError,
    describe,
    error_code,
    error_document,
    one_line,
)
from intent_bus.cli.options import Parser, add_common
from intent_bus.sdk.exceptions import IntentBusError

__all__ = ["build_parser", "main"]

PROG = "intent-bus"
_GROUPS = (
    listen,
    publish,
    status,
    intents,
    queues,
    limit,
    kv,
    schedule,
    keys,
    dead,
    server,
)


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Intent Bus: publish, claim and process intents over HTTP.",
    )
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="show the package, protocol and wire versions and exit",
    )
    add_common(parser)
    common = Parser(add_help=False)
    add_common(common)
    commands = parser.add_subparsers(
        dest="command_name", metavar="COMMAND", required=True, parser_class=Parser
    )
    for group in _GROUPS:
        group.register(commands, common)
    return parser


def version_line() -> str:
    """Which version is which: the package's release, the protocol it speaks,
    and the wire version string (``X-Intent-Version``, `/healthz`'s version)."""
    return (
        f"{PROG} {__version__} (Intent Protocol v2.1; wire version "
        f"{protocol.PROTOCOL_VERSION}, as /healthz reports it)"
    )


class _Version(argparse.Action):
    """Like argparse's, but the line is never re-wrapped to the terminal."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(version_line())
        parser.exit()


def _fail(message: str, code: int, document: str | None = None) -> int:
    if document is not None:
        print(document, flush=True)
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return code


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A warning (a readable ~/.apikey, say) as one line, without the source
    line Python would print under it."""
    sys.stderr.write(f"{PROG}: warning: {one_line(str(message))}\n")


def _wants_json(args_list: list[str]) -> bool:
    head = args_list[: args_list.index("--")] if "--" in args_list else args_list
    return "--json" in head


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    as_json = _wants_json(args_list)
    shown, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        server_args = server.server_arguments(args_list)
        if server_args is not None:
            return server.run_server(server_args)
        args = build_parser().parse_args(args_list)
        for name, default in (("url", None), ("api_key", None), ("json", False)):
            if not hasattr(args, name):
                setattr(args, name, default)
        code: int = args.run(args)
        return code
    except CliError as exc:
        document = _document(exc, exc.message, as_json and not exc.printed)
        return _fail(exc.message, exc.code, document)
    except IntentBusError as exc:
        url = url_of(args) if args is not None else None
        message = describe(exc, url)
        return _fail(message, EXIT_ERROR, _document(exc, message, as_json))
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
    finally:
        warnings.showwarning = shown  # main may run inside another program


def _document(exc: Exception, message: str, wanted: bool) -> str | None:
    return error_document(error_code(exc), message) if wanted else None


if __name__ == "__main__":
    sys.exit(main())
