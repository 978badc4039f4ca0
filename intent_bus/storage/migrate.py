"""Migration planning, shared by every backend: which numbered files to apply.

Migrations are forward-only files ``<dialect>/migrations/NNNN_description.sql``,
recorded in the ``schema_version`` table once applied. Everything here is pure
except `load_migrations`, which only reads the files; each backend runs the plan
inside its own transaction and lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The migration files or the database's recorded versions are inconsistent."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward schema change."""

    version: int
    name: str
    sql: str


def parse_file_name(file_name: str) -> tuple[int, str] | None:
    """Returns (version, name) for ``0003_add_capability.sql``, None otherwise."""
    match = _FILE_NAME.match(file_name)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def migrations_dir(dialect: str) -> Traversable:
    """The packaged migrations of a dialect (``sqlite`` or ``postgres``)."""
    return resources.files("intent_bus.storage").joinpath(dialect, "migrations")


def load_migrations(directory: Traversable | Path) -> list[Migration]:
    """Reads the numbered files of `directory`, in version order.

    Raises MigrationError when two files carry one version number.
    """
    found: dict[int, Migration] = {}
    for entry in directory.iterdir():
        parsed = parse_file_name(entry.name)
        if parsed is None:
            continue
        version, name = parsed
        if version in found:
            raise MigrationError(
                f"migrations {found[version].name!r} and {name!r} "
                f"share version {version}"
            )
        found[version] = Migration(version, name, entry.read_text("utf-8"))
    return [found[version] for version in sorted(found)]


def plan(available: Sequence[Migration], applied: Iterable[int]) -> list[Migration]:
    """Returns the migrations still to apply, in order.

    Raises MigrationError when the database records a version this code does not
    know: it was written by a newer release, and running older code on it could
    corrupt data.
    """
    applied_set = set(applied)
    known = {migration.version for migration in available}
    unknown = sorted(applied_set - known)
    if unknown:
        raise MigrationError(
            f"database schema version {unknown[-1]} is newer than this release "
            f"supports (latest known: {max(known, default=0)}); upgrade Intent Bus"
        )
    return [m for m in available if m.version not in applied_set]


def latest_version(available: Sequence[Migration]) -> int:
    """The schema version a database has once every migration is applied."""
    return max((m.version for m in available), default=0)
