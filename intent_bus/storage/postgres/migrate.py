"""Forward migrations of the PostgreSQL schema, safe when replicas start at once.

Every replica runs `migrate` at start-up. The whole upgrade is one transaction
that first takes a transaction-scoped advisory lock: the first replica applies the
missing versions while the others wait at the lock, then find nothing left to do.
PostgreSQL DDL is transactional, so a replica killed half-way leaves no half schema.
Which files to apply is decided by the shared, pure `migrate.plan`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from psycopg import AsyncConnection

from intent_bus.storage.migrate import load_migrations, migrations_dir, plan
from intent_bus.storage.queries import load_queries

log = logging.getLogger(__name__)

MIGRATION_LOCK_ID = 0x1B_2024_0001
"""The advisory lock key that serialises schema upgrades of one database."""


async def migrate(conn: AsyncConnection[Any]) -> list[int]:
    """Brings the database up to the newest schema; returns the versions applied.

    `conn` must be in autocommit mode; the upgrade runs in its own transaction.
    Raises MigrationError when the database is newer than this release.
    """
    queries = load_queries("postgres")
    available = load_migrations(migrations_dir("postgres"))
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute(queries["migration_lock"], {"lock_id": MIGRATION_LOCK_ID})
        await conn.execute(queries["schema_version_create"])
        cur = await conn.execute(queries["schema_version_list"])
        done = [_version(row) for row in await cur.fetchall()]
        for migration in plan(available, done):
            # No parameters: psycopg sends the file as one simple query, so a
            # migration may hold several statements.
            await conn.execute(migration.sql.encode("utf-8"))
            await conn.execute(
                queries["schema_version_insert"],
                {"version": migration.version, "applied_at": time.time()},
            )
            applied.append(migration.version)
            log.info("applied migration %04d_%s", migration.version, migration.name)
    return applied


def _version(row: Any) -> int:
    return int(row["version"] if isinstance(row, dict) else row[0])
