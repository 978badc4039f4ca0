"""Contract: the admin's owner name is the admin's alone; the database itself
refuses a tenant key with it, and migration 0005 moved any that existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from intent_bus import protocol
from intent_bus.storage.base import ApiKey, Store
from intent_bus.storage.errors import Conflict
from intent_bus.storage.migrate import load_migrations, migrations_dir
from intent_bus.storage.postgres import PostgresStore
from intent_bus.storage.sqlite import SqliteStore
from tests.contract.conftest import NOW
from tests.pgutil import fresh_postgres_database

pytestmark = pytest.mark.anyio

MIGRATED_OWNER = "admin.tenant"


def key(key_id: str, owner: str, role: str = "tenant") -> ApiKey:
    return ApiKey(key_id, f"secret_{key_id}", owner, role, NOW)  # type: ignore[arg-type]


async def test_a_tenant_key_cannot_take_the_admin_owner(store: Store) -> None:
    with pytest.raises(Conflict):
        await store.key_create(key("t1", protocol.ADMIN_OWNER))
    assert await store.key_get("secret_t1") is None
    await store.key_create(key("a1", protocol.ADMIN_OWNER, "admin"))
    await store.key_create(key("t2", "Admin"))  # another name, another tenant
    owners = {k.id: k.owner for k in await store.key_list()}
    assert owners == {"a1": "admin", "t2": "Admin"}


async def test_sqlite_migration_moves_a_tenant_named_admin(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shipped = load_migrations(migrations_dir("sqlite"))
    old = SqliteStore(path, migrations=[m for m in shipped if m.version < 5])
    await old.start()
    await old.close()
    # Rows as that schema holds them: today's store code writes later columns.
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO api_keys (id, secret, owner, role, created_at)"
            " VALUES (?, ?, ?, ?, 0)",
            [
                ("tenant", "secret_tenant", protocol.ADMIN_OWNER, "tenant"),
                ("admin", "secret_admin", protocol.ADMIN_OWNER, "admin"),
            ],
        )
    conn.close()

    new = SqliteStore(path)
    await new.start()
    try:
        owners = {(k.id, k.role): k.owner for k in await new.key_list()}
    finally:
        await new.close()
    assert owners == {("tenant", "tenant"): MIGRATED_OWNER, ("admin", "admin"): "admin"}


@pytest.mark.postgres
async def test_postgres_migration_moves_a_tenant_named_admin() -> None:
    with fresh_postgres_database() as url:
        first = PostgresStore.from_url(url)
        await first.start()
        await first.key_create(key("admin", protocol.ADMIN_OWNER, "admin"))
        await first.close()
        # Put the database back to before 0005, with the colliding tenant key.
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(
                "ALTER TABLE api_keys DROP CONSTRAINT api_keys_admin_owner_reserved"
            )
            await conn.execute("DELETE FROM schema_version WHERE version = 5")
            await conn.execute(
                "INSERT INTO api_keys (id, secret, owner, role, created_at)"
                " VALUES ('tenant', 'secret_tenant', 'admin', 'tenant', 0)"
            )
        upgraded = PostgresStore.from_url(url)
        await upgraded.start()
        try:
            owners = {(k.id, k.role): k.owner for k in await upgraded.key_list()}
            with pytest.raises(Conflict):
                await upgraded.key_create(key("again", protocol.ADMIN_OWNER))
        finally:
            await upgraded.close()
    assert owners == {("tenant", "tenant"): MIGRATED_OWNER, ("admin", "admin"): "admin"}
