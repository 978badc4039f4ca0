"""`intent-bus server` / `python -m intent_bus.server`: flags -> Settings -> uvicorn.

The only place that reads the command line and the environment
(`INTENT_BUS_ADMIN_KEY`); everything below receives a frozen `Settings`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Mapping

from intent_bus import protocol
from intent_bus.server.settings import Settings

ADMIN_KEY_ENV = "INTENT_BUS_ADMIN_KEY"


def database_url(text: str) -> str:
    """`--db` takes a URL, or a plain file path meaning SQLite."""
    if "://" in text or text.startswith("sqlite:"):
        return text
    return f"sqlite:///{text}"


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="intent-bus server",
        description="Run the Intent Bus server (Intent Protocol v2.1).",
    )
    parser.add_argument("--host", default=defaults.host, help="bind address")
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument(
        "--db",
        default=defaults.db_url,
        help="sqlite:///PATH, a file path, or postgresql://... (default %(default)s)",
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
    parser.add_argument("--ssl-certfile", default=None)
    parser.add_argument("--ssl-keyfile", default=None)
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
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
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise ValueError("--ssl-certfile and --ssl-keyfile go together")
    return Settings(
        db_url=database_url(args.db),
        host=args.host,
        port=args.port,
        claim_timeout=args.claim_timeout,
        rate_limit=args.rate_limit,
        require_signatures=args.require_signatures,
        admin_key=environ.get(ADMIN_KEY_ENV) or None,
        retention_seconds=args.retention_days * 86400,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    """Serves until interrupted; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args, os.environ)
    except ValueError as exc:
        parser.error(str(exc))

    import uvicorn

    from intent_bus.server.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop" if _available("uvloop") else "asyncio",
        http="httptools" if _available("httptools") else "h11",
        lifespan="on",
        access_log=False,
        log_level=args.log_level,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1
