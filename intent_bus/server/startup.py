"""Why the server could not start, in one line that names the cause and the fix.

`check_before_opening` refuses what can be seen without the database (a
missing directory, a missing TLS file, a port in use); `prepare` opens the
store once before uvicorn does, so a database that cannot be reached, is not a
database or is newer than this code fails here, with the driver's real reason
found in the exception chain rather than a traceback from the app's lifespan.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from intent_bus.server.bootstrap import AdminBootstrap, admin_bootstrap
from intent_bus.server.kek import KekError, KeyVault, secure_keys
from intent_bus.server.settings import Settings, sqlite_path

__all__ = [
    "EXIT_FAILED",
    "EXIT_USAGE",
    "StartupError",
    "check_before_opening",
    "database_label",
    "error_document",
    "explain",
    "prepare",
    "sqlite_path",
]

EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
_DEPLOYMENT = "see docs/DEPLOYMENT.md"


class StartupError(Exception):
    """The server cannot start: `message` is one line, `code` the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def error_document(exc: StartupError) -> str:
    """The failure as the protocol's error envelope, for `--json`."""
    code = "usage" if exc.code == EXIT_USAGE else "startup_failed"
    return json.dumps({"error": {"code": code, "message": exc.message}})


def database_label(db_url: str) -> str:
    """Where the data lives, for people: an absolute SQLite path, or the
    PostgreSQL URL without its password."""
    path = sqlite_path(db_url)
    if path is not None:
        return f"{path.resolve()} (SQLite)"
    if db_url.startswith("sqlite:"):
        return "memory (SQLite, lost at exit)"
    parts = urlsplit(db_url)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[-1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    return urlunsplit(parts._replace(query=""))


def check_before_opening(settings: Settings) -> None:
    """Refuses, before anything is created, what cannot work."""
    path = sqlite_path(settings.db_url)
    if path is not None and not path.parent.is_dir():
        raise StartupError(
            f"the directory {path.parent} of --db {path} does not exist: "
            f"create it first (mkdir -p {path.parent}) or choose another --db"
        )
    for flag, name in (
        ("--ssl-certfile", settings.ssl_certfile),
        ("--ssl-keyfile", settings.ssl_keyfile),
    ):
        if name is not None and not Path(name).is_file():
            raise StartupError(f"{flag} {name}: no such file")
    if settings.ssl_certfile and settings.ssl_keyfile:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                settings.ssl_certfile, settings.ssl_keyfile
            )
        except (ssl.SSLError, OSError) as exc:
            raise StartupError(
                f"cannot load the TLS certificate {settings.ssl_certfile} with the "
                f"key {settings.ssl_keyfile}: {_one_line(str(exc))}; both must be "
                f"PEM files and the key must match the certificate"
            ) from None
    _check_port(settings.host, settings.port)


def _check_port(host: str, port: int) -> None:
    if port == 0:
        return
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError(
            f"cannot listen on {host}:{port}: {reason}; stop the other server "
            f"or choose another --port / --host"
        ) from None


async def prepare(settings: Settings) -> AdminBootstrap:
    """Opens the store (applying migrations), bootstraps the admin key and
    closes it again; raises `StartupError` saying why that failed."""
    from intent_bus.storage import open_store

    vault = KeyVault()
    try:
        store = open_store(settings.db_url, vault)
    except ValueError as exc:
        raise StartupError(
            f"--db {database_label(settings.db_url)}: {_one_line(str(exc))}",
            EXIT_USAGE,
        ) from None
    try:
        await store.start()
        try:
            try:
                await secure_keys(store, vault, settings)
            except KekError as exc:
                raise StartupError(str(exc)) from None
            return await admin_bootstrap(store, settings.admin_key, time.time())
        finally:
            await store.close()
    except (ImportError, StartupError):
        raise
    except Exception as exc:
        raise StartupError(explain(exc, settings.db_url)) from None


def root_cause(exc: BaseException) -> BaseException:
    """The first exception of the chain (``raise ... from`` or during handling):
    the driver's own error behind the store's translation of it."""
    seen = {id(exc)}
    while True:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or id(nxt) in seen:
            return exc
        seen.add(id(nxt))
        exc = nxt


_HINTS: Final = (
    (
        re.compile(r'database "([^"]+)" does not exist'),
        "create it first: createdb {0} (or CREATE DATABASE {0}), " + _DEPLOYMENT,
    ),
    (
        re.compile(r'role "[^"]+" does not exist|password authentication failed'),
        "check the user and password in the --db URL",
    ),
    (
        re.compile(r"Connection refused|failed to resolve host|timeout expired", re.I),
        "is PostgreSQL running there? check the host and port in the --db URL",
    ),
    (
        re.compile(r"file is not a database|database disk image is malformed"),
        "that file is not an Intent Bus database: choose another --db",
    ),
)


def explain(exc: BaseException, db_url: str) -> str:
    """One line: which database, the underlying reason, and what to do."""
    cause = root_cause(exc)
    reason = _one_line(str(cause)) or type(cause).__name__
    if "FATAL:" in reason:
        reason = reason.rsplit("FATAL:", 1)[1].strip()
    where = f"cannot open the database {database_label(db_url)}: {reason}"
    for pattern, hint in _HINTS:
        found = pattern.search(reason)
        if found:
            return f"{where}; {hint.format(*found.groups())}"
    return where


def _one_line(text: str) -> str:
    return " ".join(text.split())
