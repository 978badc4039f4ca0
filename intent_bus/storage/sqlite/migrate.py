"""How an SQLite database's schema is brought up to date.

Migrations are applied statement by statement inside the caller's transaction
(the writer's), together with their `schema_version` rows, so an interrupted
upgrade leaves the previous schema intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from intent_bus.storage.migrate import Migration, plan
from intent_bus.storage.sqlite.records import Q, fetch_rows


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
