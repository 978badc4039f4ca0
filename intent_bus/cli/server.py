"""`intent-bus server ...`: runs the server; every argument goes to it.

The server's code (Starlette, uvicorn, the storage backends) is imported only
here, inside the function, so the SDK-only install keeps a working CLI.
"""

from __future__ import annotations

import argparse
from typing import Any

from intent_bus.cli.errors import CliError

__all__ = ["register", "run_server"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    # Listed for --help only: `main` hands "server ..." over before parsing,
    # because the server parses its own options.
    commands.add_parser(
        "server",
        help="run the Intent Bus server (see: intent-bus server --help)",
        add_help=False,
    )


# The extra that brings each optional dependency the server may import.
_EXTRAS = {
    "starlette": "server",
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
        from intent_bus.server.run import main as server_main

        return server_main(argv)
    except ImportError as exc:
        error = _missing(exc)
        if error is None:
            raise
        raise error from None
