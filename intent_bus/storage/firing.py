"""What both backends write when a schedule fires, built once.

A firing publishes intents, records one tick per intent and advances the
schedule; these parameter builders are shared, so the two backends differ only
in how they lock and which statements they send.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from intent_bus.storage.base import NewIntent, Schedule, Tick


def advance_params(
    schedule: Schedule, next_fire_at: float, last: tuple[Tick, NewIntent] | None
) -> dict[str, Any]:
    """The schedule's new next tick and, when it published, its last tick."""
    return {
        "owner": schedule.owner,
        "name": schedule.name,
        "next_fire_at": next_fire_at,
        "last_scheduled_for": last[0].scheduled_for if last else None,
        "last_intent_id": last[1].id if last else None,
    }


def tick_event_params(tick: Tick) -> dict[str, Any]:
    """The `published` event's detail of a tick's intent: which schedule and tick."""
    at = datetime.fromtimestamp(tick.scheduled_for, timezone.utc).isoformat()
    return {"intent_id": tick.intent_id, "detail": f"schedule {tick.name}, tick {at}"}


def schedule_key(owner: str, name: str) -> dict[str, Any]:
    return {"owner": owner, "name": name}
