"""`intent-bus server ...`: runs the server; every argument goes to it.

The server's code (msgspec, uvicorn, the storage backends) is imported only
here, inside the function, so the SDK-only install keeps a working CLI.
"""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus.cli.errors import EXIT_USAGE, CliError

__all__ = ["register", "run_server", "server_arguments"]

_CLIENT_ONLY = ("--url", "--api-key")


def server_arguments(argv: list[str]) -> list[str] | None:
    """The server's own arguments when the command is `server`, else None.

    The global options may come first (`intent-bus --json server`): `--json`
    is passed on; `--url` and `--api-key` mean nothing to a server.
    """
    passed: list[str] = []
    refused: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--json":
            passed.append(arg)
        elif arg in _CLIENT_ONLY:
            refused.append(arg)
            i += 1
        elif arg.startswith(tuple(f"{name}=" for name in _CLIENT_ONLY)):
            refused.append(arg.split("=", 1)[0])
        else:
            break
        i += 1
    if argv[i : i + 1] != ["server"]:
        return None
    if refused:
        raise CliError(
            f"{' and '.join(refused)}: only for the client commands; "
            "intent-bus server takes --host and --port (see intent-bus server --help)",
            EXIT_USAGE,
        )
    return argv[i + 1 :] + passed


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    # Listed for --help only: `main` hands "server ..." over before parsing,
    # because the server parses its own options.
    commands.add_parser(
        "server",
        help="run the Intent Bus server (see: intent-bus server --help)",
        add_help=False,
    )


# The extra that brings each third-party module the server and storage import
# (tests/unit/cli/test_server_extras_map.py keeps this list and theirs equal).
_EXTRAS = {
    "croniter": "server",
    "cryptography": "server",
    "httptools": "server",
    "msgspec": "server",
    "uvicorn": "server",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
}


def _missing(exc: ImportError) -> CliError | None:
    top = (exc.name or "").split(".")[0]
    extra = _EXTRAS.get(top)
    if extra is None:
        return None
    return CliError(
        f"the server needs {top}, which is not installed: "
        f"pip install 'intent-bus[{extra}]'"
    )


def run_server(argv: list[str]) -> int:
    # The server imports uvicorn, and psycopg for a postgresql:// URL, only when
    # it starts, so a missing extra surfaces here rather than at import time.
    try:
        from intent_bus.server.run import serve
        from intent_bus.server.startup import StartupError
    except ImportError as exc:
        error = _missing(exc)
        if error is None:
            raise
        raise error from None
    try:
        return serve(argv)
    except StartupError as exc:
        kind = "usage" if exc.code == EXIT_USAGE else "startup_failed"
        raise CliError(exc.message, exc.code, kind=kind) from None
    except ImportError as exc:
        error = _missing(exc)
        if error is None:
            raise
        raise error from None
