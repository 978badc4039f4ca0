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


def run_server(argv: list[str]) -> int:
    try:
        from intent_bus.server.run import main as server_main
    except ImportError as exc:
        raise CliError(
            f"the server is not installed ({exc.name or exc}): "
            "pip install 'intent-bus[server]'"
        ) from None
    return server_main(argv)
