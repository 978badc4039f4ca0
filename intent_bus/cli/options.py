"""Arguments shared by every command, and parsing of argument values.

Values that argparse cannot check well (JSON documents, the optional number of
`--wait`) are parsed here into `CliError`s with exit code 2, so a bad argument
is reported on one line like every other expected failure.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

from intent_bus.cli.errors import EXIT_USAGE, CliError, one_line
from intent_bus.protocol import DEFAULT_URL, ENV_API_KEY, ENV_API_KEY_LEGACY, ENV_URL

__all__ = [
    "JSON_HELP",
    "WAIT_FOREVER",
    "Parser",
    "add_common",
    "json_argument",
    "positive_float",
    "wait_option",
]

WAIT_FOREVER = math.inf
"""`--wait` without a number: wait until the intent finishes."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage itself is in --help)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{one_line(message)} (see {self.prog} --help)", EXIT_USAGE)


JSON_HELP = "print exactly one JSON document on stdout (an error too)"


def add_common(parser: argparse.ArgumentParser, json_help: str = JSON_HELP) -> None:
    """--url, --api-key and --json, accepted before or after the command name.

    SUPPRESS defaults keep a value given before the command from being reset
    by the subcommand's own default.
    """
    group = parser.add_argument_group("connection and output")
    group.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help=f"server URL (default: ${ENV_URL}, else {DEFAULT_URL})",
    )
    group.add_argument(
        "--api-key",
        default=argparse.SUPPRESS,
        help=f"API key (default: ${ENV_API_KEY}, else ${ENV_API_KEY_LEGACY}, "
        "else ~/.apikey)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help=json_help,
    )


def json_argument(text: str, what: str) -> Any:
    """Parse a JSON command-line argument; NaN and Infinity are refused, as on
    the wire. ``-`` reads the document from stdin, ``@PATH`` from a file (no
    JSON document starts with either)."""
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(
                f"cannot read the {what} from {text[1:]}: {one_line(str(exc))}",
                EXIT_USAGE,
            ) from None

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not allowed in JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        hint = ""
        if text.strip()[:1].isalpha():
            hint = """ (quote a string as '"text"')"""
        raise CliError(
            f"{what} is not valid JSON: {one_line(str(exc))}{hint}", EXIT_USAGE
        ) from None


def positive_float(text: str) -> float:
    """argparse type for a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0: {text!r}")
    return value


def wait_option(parser: argparse.ArgumentParser, what: str) -> None:
    """`--wait [S]`: wait for the result, at most S seconds if given."""
    parser.add_argument(
        "--wait",
        nargs="?",
        type=positive_float,
        const=WAIT_FOREVER,
        default=None,
        metavar="S",
        help=f"wait for {what}; at most S seconds if given (exit 3 on timeout)",
    )
