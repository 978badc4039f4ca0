"""SQLite schema versioning: migrations reproduce the fresh schema, run once,
upgrade an older database without losing data, and refuse a newer one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intent_bus.storage.base import NewIntent
from intent_bus.storage.migrate import (
    Migration,
    MigrationError,
    load_migrations,
    migrations_dir,
)
from intent_bus.storage.sqlite import SqliteStore
from intent_bus.storage.sqlite.migrate import split_statements
from intent_bus.storage.sqlite.records import Q
from intent_bus.storage.sqlite.url import path_from_url

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0
SHIPPED = load_migrations(migrations_dir("sqlite"))
ADD_COLUMN = Migration(
    max(m.version for m in SHIPPED) + 1,
    "add_note",
    "ALTER TABLE intents ADD COLUMN note TEXT;\n"
    "CREATE INDEX intents_note ON intents (note) WHERE note IS NOT NULL;\n",
)


def schema(path: Path) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        conn.close()
    return {(kind, name, " ".join((sql or "").split())) for kind, name, sql in rows}


def versions(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT version FROM schema_version")]
    finally:
        conn.close()


def intent(intent_id: str) -> NewIntent:
    return NewIntent(
        intent_id, "acme", "g", b'{"kept":true}', "default", "private", 100, NOW,
        NOW, 3, 5.0,
    )  # fmt: skip


async def test_migrations_on_an_empty_file_equal_a_fresh_start(tmp_path: Path) -> None:
    started = SqliteStore(tmp_path / "fresh.db")
    await started.start()
    await started.close()

    manual = sqlite3.connect(tmp_path / "manual.db", isolation_level=None)
    manual.execute(Q["schema_version_create"])
    for migration in SHIPPED:
        for statement in split_statements(migration.sql):
            manual.execute(statement)
    manual.close()

    assert schema(tmp_path / "fresh.db") == schema(tmp_path / "manual.db")
    assert versions(tmp_path / "fresh.db") == [m.version for m in SHIPPED]


async def test_restart_applies_nothing_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    first = SqliteStore(path)
    await first.start()
    await first.intent_publish(intent("a" * 32), None, NOW)
    await first.close()
    before = schema(path)

    second = SqliteStore(path)
    await second.start()
    try:
        got = await second.intent_get("a" * 32, NOW)
        assert got is not None and got.payload == b'{"kept":true}'
    finally:
        await second.close()
    assert schema(path) == before
    assert versions(path) == [m.version for m in SHIPPED]


async def test_older_database_is_upgraded_without_losing_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SqliteStore(path, migrations=SHIPPED)
    await old.start()
    await old.intent_publish(intent("b" * 32), None, NOW)
    await old.kv_set("acme", "k", b"1", NOW + 60, NOW)
    await old.close()

    new = SqliteStore(path, migrations=[*SHIPPED, ADD_COLUMN])
    await new.start()
    try:
        got = await new.intent_get("b" * 32, NOW)
        assert got is not None and got.payload == b'{"kept":true}'
        assert await new.kv_get("acme", "k", NOW) == b"1"
        await new.intent_publish(intent("c" * 32), None, NOW)
    finally:
        await new.close()
    assert versions(path) == [*(m.version for m in SHIPPED), ADD_COLUMN.version]
    assert any(name == "intents_note" for _, name, _ in schema(path))


async def test_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    first = SqliteStore(path, migrations=SHIPPED)
    await first.start()
    await first.close()
    before = schema(path)
    broken = Migration(
        ADD_COLUMN.version,
        "broken",
        "ALTER TABLE intents ADD COLUMN note TEXT;\nCREATE TABLE kv (x INTEGER);\n",
    )

    second = SqliteStore(path, migrations=[*SHIPPED, broken])
    with pytest.raises(Exception, match="already exists"):
        await second.start()
    await second.close()

    assert schema(path) == before
    assert versions(path) == [m.version for m in SHIPPED]


async def test_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    newer = SqliteStore(path, migrations=[*SHIPPED, ADD_COLUMN])
    await newer.start()
    await newer.close()

    older = SqliteStore(path, migrations=SHIPPED)
    with pytest.raises(MigrationError, match="newer"):
        await older.start()
    await older.close()


def test_split_statements_keeps_triggers_whole() -> None:
    script = """-- comment
CREATE TABLE a (x INTEGER); -- trailing
CREATE TRIGGER t AFTER INSERT ON a BEGIN
    UPDATE a SET x = 1;
    UPDATE a SET x = 2;
END;
-- only a comment at the end
"""
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_split_statements_refuses_an_unterminated_statement() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE a (x INTEGER)")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///intent-bus.db", "intent-bus.db"),
        ("sqlite:///data/bus.db", "data/bus.db"),
        ("sqlite:////var/lib/bus.db", "/var/lib/bus.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite://", ":memory:"),
    ],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert path_from_url(url) == path


@pytest.mark.parametrize(
    "url", ["postgresql://x/y", "sqlite:relative.db", "sqlite:///"]
)
def test_bad_sqlite_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        path_from_url(url)


async def test_timelines_keep_their_order_through_the_events_rebuild(
    tmp_path: Path,
) -> None:
    """Migration 0008 rebuilds intent_events keyed by (intent, n): timelines written
    before it keep their events in order, and new events follow them."""
    path = tmp_path / "bus.db"
    old = SqliteStore(path, migrations=[m for m in SHIPPED if m.version < 8])
    await old.start()
    await old.close()
    raw = sqlite3.connect(path, isolation_level=None)
    for name in ("d", "e"):  # as 0007's intents table takes them (later columns)
        raw.execute(
            "INSERT INTO intents (id, owner, goal, payload, namespace, visibility,"
            " priority, run_at, created_at, max_attempts, backoff_base, status,"
            " updated_at) VALUES (?, 'acme', 'g', '{}', 'default', 'private', 0,"
            " ?, ?, 3, 1.0, 'open', ?)",
            (name * 32, NOW, NOW, NOW),
        )
    raw.execute(  # cancelled, then requeued: events interleaved across intents
        "UPDATE intents SET status = 'cancelled', completed_at = ?, updated_at = ?",
        (NOW + 1, NOW + 1),
    )
    raw.execute(
        "UPDATE intents SET status = 'open', completed_at = NULL, updated_at = ?"
        " WHERE id = ?",
        (NOW + 2, "d" * 32),
    )
    raw.close()

    new = SqliteStore(path, migrations=SHIPPED)
    await new.start()
    try:
        await new.intent_cancel("d" * 32, None, NOW + 3)
        got = await new.intent_events("d" * 32, None)
        assert got is not None
        assert [(e.type, e.at) for e in got] == [
            ("published", NOW),
            ("cancelled", NOW + 1),
            ("requeued", NOW + 2),
            ("cancelled", NOW + 3),
        ]
        other = await new.intent_events("e" * 32, None)
        assert other is not None
        assert [e.type for e in other] == ["published", "cancelled"]
    finally:
        await new.close()
