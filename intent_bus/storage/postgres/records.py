"""Records built from PostgreSQL rows (``dict_row``), by column name."""

from __future__ import annotations

import dataclasses
from typing import Final

from psycopg.rows import DictRow

from intent_bus.storage.base import ApiKey, Intent, Schedule, Tick

_INTENT_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Intent))
_KEY_FIELDS: Final = tuple(f.name for f in dataclasses.fields(ApiKey))
_SCHEDULE_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Schedule))
_TICK_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Tick))


def intent_from_row(row: DictRow) -> Intent:
    return Intent(**{name: row[name] for name in _INTENT_FIELDS})


def key_from_row(row: DictRow) -> tuple[ApiKey, bytes | None]:
    """A key as stored (secret = lookup value) with its sealed secret."""
    return ApiKey(**{name: row[name] for name in _KEY_FIELDS}), row["secret_sealed"]


def schedule_from_row(row: DictRow) -> Schedule:
    return Schedule(**{name: row[name] for name in _SCHEDULE_FIELDS})


def tick_from_row(row: DictRow) -> Tick:
    return Tick(**{name: row[name] for name in _TICK_FIELDS})
