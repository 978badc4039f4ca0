"""The schedule statements housekeeping runs every second use their indexes
(SQLite plans; the PostgreSQL ones mirror them)."""

from __future__ import annotations

import sqlite3

import pytest

from intent_bus.storage.sqlite.records import Q
from tests.unit.storage.test_sqlite_plans import conn

PARAMS = {
    "now": 1000.0,
    "owner": "acme",
    "name": "nightly",
    "intent_id": "x",
    "before": 1000.0,
    "limit": 100,
    "id": "x",
}

INDEXES = {
    "schedule_due": "INDEX schedules_due",
    "schedule_tick_of": "INDEX schedule_ticks_intent",
    "schedule_tick_purge": "INDEX schedule_ticks_fired",
    "schedule_get": "sqlite_autoindex_schedules_1",
    "schedule_previous_live": "sqlite_autoindex_intents_1",
}

__all__ = ["conn"]


@pytest.mark.parametrize(("name", "index"), INDEXES.items())
def test_schedule_statements_use_their_index(
    conn: sqlite3.Connection, name: str, index: str
) -> None:
    rows = conn.execute("EXPLAIN QUERY PLAN " + Q[name], PARAMS).fetchall()
    plan = [row[3] for row in rows]
    assert any(index in step for step in plan), f"{name}: {plan}"
    assert not any("TEMP B-TREE" in step for step in plan), plan
