"""`intent-bus server` / `python -m intent_bus.server`: flags -> Settings -> uvicorn.

The only place that reads the command line and the environment
(`INTENT_BUS_ADMIN_KEY`); everything below receives a frozen `Settings`. Before
uvicorn starts, `startup.prepare` opens the database once, so that every
start-up failure is one line here instead of a traceback from the lifespan.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from intent_bus import protocol
from intent_bus.server import banner, startup
from intent_bus.server.settings import Settings
from intent_bus.server.startup import EXIT_USAGE, StartupError

__all__ = ["build_parser", "database_url", "main", "serve", "settings_from"]

PROG = "intent-bus server"


def database_url(text: str) -> str:
    """`--db` takes a URL, or a plain file path meaning SQLite."""
    if "://" in text or text.startswith("sqlite:"):
        return text
    return f"sqlite:///{text}"


class _Parser(argparse.ArgumentParser):
    """A usage error is one line (the usage itself is in --help)."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        raise StartupError(f"{text} (see {PROG} --help)", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = _Parser(
        prog=PROG,
        description="Run the Intent Bus server (Intent Protocol v2.1).",
    )
    parser.add_argument("--host", default=defaults.host, help="bind address")
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument(
        "--db",
        default=defaults.db_url,
        help="sqlite:///PATH, a file path, or postgresql://... (default %(default)s);"
        " a PostgreSQL database must exist (createdb NAME)",
    )
    parser.add_argument(
        "--claim-timeout",
        type=int,
        default=defaults.claim_timeout,
        help="lease length in seconds (default %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=defaults.rate_limit,
        help="requests per minute per tenant key, 0 = off (default %(default)s)",
    )
    parser.add_argument(
        "--require-signatures",
        action="store_true",
        help="refuse requests without an HMAC signature (401)",
    )
    parser.add_argument(
        "--retention-days",
        type=float,
        default=defaults.retention_seconds / 86400,
        help="keep fulfilled and dead intents this long (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=defaults.max_connections,
        help="open connections per process, idle long-polls included; more are "
        "answered 503 busy and closed (default %(default)s)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=defaults.request_timeout,
        help="seconds a request's headers, and then its body, may take to arrive;"
        " slower clients get 408 (default %(default)s)",
    )
    parser.add_argument(
        "--metrics-key",
        default=None,
        help="a secret that shows per-namespace series on /metrics (sent as "
        f"'Authorization: Bearer KEY' or X-API-KEY; an admin key works too); "
        f"prefer the {protocol.ENV_METRICS_KEY} variable, which it overrides",
    )
    parser.add_argument(
        "--kek-file",
        default=None,
        help="file of the key-encryption key that seals API keys at rest (default:"
        f" <db file>.kek beside an SQLite database; {protocol.ENV_KEK_FILE}, or the"
        f" key itself in {protocol.ENV_KEK}); created, mode 600, on the first start",
    )
    parser.add_argument(
        "--rotate-kek",
        metavar="NEWFILE",
        default=None,
        help="re-seal every API key under the KEK in NEWFILE (created if absent)"
        " and exit; stop every replica first",
    )
    parser.add_argument("--ssl-certfile", default=None)
    parser.add_argument("--ssl-keyfile", default=None)
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log one line per request (uvicorn's access log; off by default)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the start-up banner, or a start-up error, as one JSON "
        "document on stdout",
    )
    return parser


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    if args.claim_timeout <= 0 or args.claim_timeout > protocol.MAX_LEASE_SECONDS:
        raise ValueError(
            f"--claim-timeout must be 1..{protocol.MAX_LEASE_SECONDS} seconds"
        )
    if args.rate_limit < 0:
        raise ValueError("--rate-limit must be >= 0")
    if args.retention_days <= 0:
        raise ValueError("--retention-days must be > 0")
    if args.max_connections < 1:
        raise ValueError("--max-connections must be >= 1")
    if args.request_timeout <= 0:
        raise ValueError("--request-timeout must be > 0")
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise ValueError("--ssl-certfile and --ssl-keyfile go together")
    return Settings(
        db_url=database_url(args.db),
        host=args.host,
        port=args.port,
        claim_timeout=args.claim_timeout,
        rate_limit=args.rate_limit,
        require_signatures=args.require_signatures,
        admin_key=environ.get(protocol.ENV_ADMIN_KEY) or None,
        retention_seconds=args.retention_days * 86400,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        access_log=args.access_log,
        kek=environ.get(protocol.ENV_KEK) or None,
        kek_file=args.kek_file or environ.get(protocol.ENV_KEK_FILE) or None,
        metrics_key=args.metrics_key or environ.get(protocol.ENV_METRICS_KEY) or None,
        max_connections=args.max_connections,
        request_timeout=args.request_timeout,
    )


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def wants_json(argv: list[str] | None) -> bool:
    """Whether `--json` was asked for, even when the arguments do not parse."""
    return "--json" in (sys.argv[1:] if argv is None else argv)


def serve(argv: list[str] | None = None) -> int:
    """Serves until interrupted; returns the process exit status.

    Raises `StartupError` (one line naming the cause and the fix) for anything
    that keeps the server from starting; `ImportError` when an extra is missing.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args, os.environ)
    except ValueError as exc:
        raise StartupError(f"{exc} (see {PROG} --help)", EXIT_USAGE) from None
    startup.check_before_opening(settings)
    if args.rotate_kek:
        return _rotate(settings, args.rotate_kek)

    import uvicorn

    from intent_bus.server.app import create_app
    from intent_bus.server.http.connection import uvicorn_options

    raise_fd_limit(settings.max_connections)
    admin = asyncio.run(startup.prepare(settings))
    banner.show(settings, admin, as_json=args.json)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop" if _available("uvloop") else "asyncio",
        lifespan="on",
        access_log=settings.access_log,
        log_level=args.log_level,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def raise_fd_limit(max_connections: int) -> int:
    """Raises this process's soft open-files limit (up to the hard limit) so
    `--max-connections` is reached before the OS refuses sockets; returns it."""
    try:
        import resource
    except ImportError:  # not on this platform
        return max_connections
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + 256  # the database, log and listening sockets
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def _rotate(settings: Settings, new_file: str) -> int:
    from intent_bus.server.kek import KekError, rotate_kek

    try:
        count = asyncio.run(rotate_kek(settings, Path(new_file)))
    except KekError as exc:
        raise StartupError(str(exc)) from None
    print(
        f"re-sealed {count} API keys under the KEK in {new_file}: give it to every "
        f"replica (--kek-file or {protocol.ENV_KEK}) before starting them again",
        flush=True,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m intent_bus.server`: `serve`, with a start-up failure as one
    line on stderr (and a JSON document on stdout with --json)."""
    try:
        return serve(argv)
    except StartupError as exc:
        if wants_json(argv):
            print(startup.error_document(exc), flush=True)
        sys.stderr.write(f"{PROG}: error: {exc.message}\n")
        return exc.code
