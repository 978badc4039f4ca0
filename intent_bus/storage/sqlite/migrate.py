"""Where an SQLite database lives and how its schema is brought up to date.

Migrations are applied statement by statement inside the caller's transaction
(the writer's), together with their `schema_version` rows, so an interrupted
upgrade leaves the previous schema intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from urllib.parse import parse_qsl

from intent_bus.storage.migrate import Migration, plan
from intent_bus.storage.sqlite_records import Q, fetch_rows


def path_from_url(url: str) -> str:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs.db`` -> ``/abs.db``.

    ``sqlite://`` or ``sqlite:///:memory:`` give a private in-memory database.
    """
    if not url.startswith("sqlite:"):
        raise ValueError(f"not an SQLite URL: {url!r}")
    rest = url[len("sqlite:") :]
    if rest in ("", "//", "///:memory:", "//:memory:"):
        return ":memory:"
    if not rest.startswith("///"):
        raise ValueError(f"SQLite URLs look like sqlite:///PATH, got {url!r}")
    path = rest[3:].split("?", 1)[0]
    if not path:
        raise ValueError(f"SQLite URL without a path: {url!r}")
    return path


SYNCHRONOUS_MODES = ("normal", "full")


def options_from_url(url: str) -> dict[str, str]:
    """The URL's query options (``sqlite:///bus.db?synchronous=full``).

    Only ``synchronous`` is known: ``normal`` (the default) keeps every
    acknowledged write across a killed process; ``full`` also across a power
    loss or OS crash, at the cost of an fsync per commit (per batch, with
    group commit).
    """
    query = url.split("?", 1)[1] if "?" in url else ""
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(options) - {"synchronous"}
    if unknown:
        raise ValueError(f"unknown SQLite URL option(s): {', '.join(sorted(unknown))}")
    mode = options.get("synchronous", "normal").lower()
    if mode not in SYNCHRONOUS_MODES:
        raise ValueError(
            f"synchronous must be one of {SYNCHRONOUS_MODES}, got {mode!r}"
        )
    return {"synchronous": mode}


def split_statements(script: str) -> list[str]:
    """Splits an SQL script into complete statements (triggers included).

    ``executescript`` would commit the migration's transaction half-way; running
    the statements one by one keeps a migration atomic with its version record.
    """
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement.rstrip(";").strip():
                statements.append(statement)
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip()
        for part in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at end of script: {buffer!r}")
    return statements


def apply_migrations(
    conn: sqlite3.Connection, available: Sequence[Migration], now: float
) -> list[int]:
    """Applies the migrations the database lacks, in order; returns their versions.

    Must run inside a write transaction. Raises MigrationError when the database
    was written by a newer release.
    """
    conn.execute(Q["schema_version_create"])
    applied = [row[0] for row in fetch_rows(conn, "schema_version_list")]
    pending = plan(available, applied)
    for migration in pending:
        for statement in split_statements(migration.sql):
            conn.execute(statement)
        conn.execute(
            Q["schema_version_insert"],
            {"version": migration.version, "applied_at": now},
        )
    return [migration.version for migration in pending]
