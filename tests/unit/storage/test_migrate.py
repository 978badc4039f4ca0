"""Migration planning: file names, ordering, and refusing a newer database."""

from __future__ import annotations

from pathlib import Path

import pytest

from intent_bus.storage.migrate import (
    Migration,
    MigrationError,
    latest_version,
    load_migrations,
    migrations_dir,
    parse_file_name,
    plan,
)

M1 = Migration(1, "initial", "CREATE TABLE a (x INTEGER);")
M2 = Migration(2, "add_b", "CREATE TABLE b (x INTEGER);")
M3 = Migration(3, "add_c", "CREATE TABLE c (x INTEGER);")


def test_file_names_carry_a_four_digit_version() -> None:
    assert parse_file_name("0001_initial.sql") == (1, "initial")
    assert parse_file_name("0012_add_capability.sql") == (12, "add_capability")
    assert parse_file_name("1_initial.sql") is None
    assert parse_file_name("0001_initial.sql.bak") is None
    assert parse_file_name("README.md") is None


def test_plan_lists_missing_versions_in_order() -> None:
    assert plan([M1, M2, M3], []) == [M1, M2, M3]
    assert plan([M1, M2, M3], [1]) == [M2, M3]
    assert plan([M1, M2, M3], [1, 2, 3]) == []


def test_plan_refuses_a_database_from_a_newer_release() -> None:
    with pytest.raises(MigrationError, match="newer"):
        plan([M1, M2], [1, 2, 3])


def test_latest_version() -> None:
    assert latest_version([M1, M3]) == 3
    assert latest_version([]) == 0


def test_load_reads_numbered_files_in_version_order(tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "notes.txt").write_text("ignored")
    loaded = load_migrations(tmp_path)
    assert [(m.version, m.name, m.sql) for m in loaded] == [
        (1, "first", "SELECT 1;"),
        (2, "second", "SELECT 2;"),
    ]


def test_load_refuses_two_files_with_one_version(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_other.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="share version 1"):
        load_migrations(tmp_path)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_packaged_migrations_start_at_one_without_gaps(dialect: str) -> None:
    versions = [m.version for m in load_migrations(migrations_dir(dialect))]
    assert versions == list(range(1, len(versions) + 1))
