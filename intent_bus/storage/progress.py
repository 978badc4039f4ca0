"""Progress records from either backend's rows (SQLite tuples, PostgreSQL
dicts read in column order), with their JSON as bytes and times as floats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from intent_bus.storage.records import IntentProgress


def intent_progress(row: Sequence[Any]) -> IntentProgress:
    """(progress, checkpoint, updated_at) as `intent_progress_get` selects them."""
    progress, checkpoint, updated_at = row
    return IntentProgress(
        progress=None if progress is None else bytes(progress),
        checkpoint=None if checkpoint is None else bytes(checkpoint),
        updated_at=float(updated_at),
    )
