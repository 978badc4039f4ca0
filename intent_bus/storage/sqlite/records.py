"""Named SQLite queries and the records built from their rows.

Rows are plain tuples; each query's column layout is looked up by name once, so
records (`Intent`, `ApiKey`) are built by column name yet cost a tuple index per
field.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from typing import Any, Final, TypeVar

from intent_bus.storage.base import ApiKey, Intent, Schedule, Tick
from intent_bus.storage.queries import load_queries

Q: Final = load_queries("sqlite")

_INTENT_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Intent))
_KEY_FIELDS: Final = tuple(f.name for f in dataclasses.fields(ApiKey))
_INTENT_REALS: Final = frozenset(
    {
        "run_at",
        "created_at",
        "backoff_base",
        "lease_expires_at",
        "completed_at",
        "updated_at",
    }
)
_KEY_REALS: Final = frozenset({"created_at", "revoked_at"})
_INTENT_BOOL: Final = _INTENT_FIELDS.index("cancel_requested")
_SCHEDULE_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Schedule))
_SCHEDULE_REALS: Final = frozenset(
    {"next_fire_at", "created_at", "updated_at", "last_scheduled_for"}
)
_TICK_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Tick))
_TICK_REALS: Final = frozenset({"scheduled_for", "fired_at"})

R = TypeVar("R")


_LAYOUTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}


def _layout(
    name: str,
    cursor: sqlite3.Cursor,
    fields: tuple[str, ...],
    reals: frozenset[str],
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where each record field sits in query `name`'s rows, and which are REAL.

    Computed once per query from the cursor's column names, so records are built
    by name (robust to column order) at the cost of indexing a tuple.
    """
    layout = _LAYOUTS.get(name)
    if layout is None:
        position = {column[0]: index for index, column in enumerate(cursor.description)}
        picks = tuple(position[field] for field in fields)
        real_fields = tuple(i for i, field in enumerate(fields) if field in reals)
        layout = _LAYOUTS[name] = (picks, real_fields)
    return layout


def _records(
    conn: sqlite3.Connection,
    name: str,
    params: Any,
    record: Callable[..., R],
    fields: tuple[str, ...],
    reals: frozenset[str],
) -> list[R]:
    """Runs query `name` and builds one record per row."""
    cursor = conn.execute(Q[name], params)
    rows = cursor.fetchall()
    if not rows:
        return []
    picks, real_fields = _layout(name, cursor, fields, reals)
    records = []
    for row in rows:
        values = [row[index] for index in picks]
        for index in real_fields:
            # SQLite keeps whole REAL values as integers on disk, and RETURNING
            # of an unchanged column hands them back as int; records hold floats.
            if type(values[index]) is int:
                values[index] = float(values[index])
        records.append(record(*values))
    return records


def _intent(*values: Any) -> Intent:
    """An Intent from a row; SQLite keeps booleans as 0 and 1."""
    if type(values[_INTENT_BOOL]) is int:
        values = (
            *values[:_INTENT_BOOL],
            bool(values[_INTENT_BOOL]),
            *values[_INTENT_BOOL + 1 :],
        )
    return Intent(*values)


def fetch_intents(conn: sqlite3.Connection, name: str, params: Any) -> list[Intent]:
    return _records(conn, name, params, _intent, _INTENT_FIELDS, _INTENT_REALS)


def first(records: list[Intent]) -> Intent | None:
    return records[0] if records else None


def fetch_keys(
    conn: sqlite3.Connection, name: str, params: Any
) -> list[tuple[ApiKey, bytes | None]]:
    """Keys as stored (secret = lookup value) with their sealed secrets."""
    return _records(
        conn, name, params, _key_and_sealed, (*_KEY_FIELDS, "secret_sealed"), _KEY_REALS
    )


def _key_and_sealed(*values: Any) -> tuple[ApiKey, bytes | None]:
    return ApiKey(*values[:-1]), values[-1]


def fetch_schedules(conn: sqlite3.Connection, name: str, params: Any) -> list[Schedule]:
    rows = _records(conn, name, params, Schedule, _SCHEDULE_FIELDS, _SCHEDULE_REALS)
    # SQLite has no boolean: `paused` comes back as 0 or 1.
    return [dataclasses.replace(row, paused=bool(row.paused)) for row in rows]


def fetch_ticks(conn: sqlite3.Connection, name: str, params: Any) -> list[Tick]:
    return _records(conn, name, params, Tick, _TICK_FIELDS, _TICK_REALS)


def fetch_rows(conn: sqlite3.Connection, name: str, params: Any = ()) -> list[Any]:
    # fetchall() finishes the statement, so none is left in progress at COMMIT.
    return conn.execute(Q[name], params).fetchall()
