"""The SQLite backend's schedule methods (the `Store` block `-- schedules --`).

Each method is one writer operation, so one transaction: firing a schedule
records its ticks, publishes their intents and advances it atomically, and a
tick already in `schedule_ticks` (its primary key) is not published again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from intent_bus.storage.base import FirePlan, NewIntent, Schedule, Tick, TickIntent
from intent_bus.storage.errors import Conflict, NotFound
from intent_bus.storage.firing import (
    advance_params,
    schedule_key,
    tick_event_params,
)
from intent_bus.storage.params import as_params
from intent_bus.storage.sqlite.records import (
    Q,
    fetch_rows,
    fetch_schedules,
    fetch_ticks,
)

T = TypeVar("T")

_NOT_FOUND: Final = "schedule not found"


def _publish_ticks(
    conn: sqlite3.Connection,
    schedule: Schedule,
    pairs: Sequence[tuple[float, NewIntent]],
    now: float,
) -> list[tuple[Tick, NewIntent]]:
    """Records each (scheduled_for, intent) tick and, when the tick is new,
    inserts its intent; returns what it published."""
    published = []
    for scheduled_for, intent in pairs:
        tick = Tick(schedule.owner, schedule.name, scheduled_for, intent.id, now)
        if fetch_rows(conn, "schedule_tick_insert", as_params(tick)):
            conn.execute(Q["intent_insert"], {**as_params(intent), "now": now})
            conn.execute(Q["schedule_tick_event"], tick_event_params(tick))
            published.append((tick, intent))
    return published


def fire_next(
    conn: sqlite3.Connection, plan: FirePlan, now: float
) -> list[Tick] | None:
    """Fires the most overdue schedule; None when nothing is due."""
    due = fetch_schedules(conn, "schedule_due", {"now": now})
    if not due:
        return None
    schedule = due[0]
    live = False
    if schedule.last_intent_id is not None:
        params = {"id": schedule.last_intent_id}
        live = bool(fetch_rows(conn, "schedule_previous_live", params))
    firing = plan(schedule, live)
    published = _publish_ticks(conn, schedule, firing.intents, now)
    last = published[-1] if published else None
    conn.execute(
        Q["schedule_advance"], advance_params(schedule, firing.next_fire_at, last)
    )
    return [tick for tick, _ in published]


class SqliteSchedules:
    """Mixin of `SqliteStore`: the schedule methods on its writer."""

    async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _purge(self, name: str, params: dict[str, Any]) -> int:
        raise NotImplementedError

    async def schedule_put(self, schedule: Schedule) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            key = schedule_key(schedule.owner, schedule.name)
            existed = bool(fetch_schedules(conn, "schedule_lock", key))
            conn.execute(Q["schedule_upsert"], as_params(schedule))
            return not existed

        return await self._run(op)

    async def schedule_get(self, owner: str, name: str) -> Schedule | None:
        def op(conn: sqlite3.Connection) -> Schedule | None:
            found = fetch_schedules(conn, "schedule_get", schedule_key(owner, name))
            return found[0] if found else None

        return await self._run(op)

    async def schedule_list(self, owner: str | None) -> list[Schedule]:
        return await self._run(
            lambda conn: fetch_schedules(conn, "schedule_list", {"owner": owner})
        )

    async def schedule_delete(self, owner: str, name: str) -> None:
        def op(conn: sqlite3.Connection) -> None:
            key = schedule_key(owner, name)
            if not fetch_rows(conn, "schedule_delete", key):
                raise NotFound(_NOT_FOUND)
            conn.execute(Q["schedule_ticks_delete"], key)

        await self._run(op)

    async def schedule_fire(self, plan: FirePlan, limit: int, now: float) -> list[Tick]:
        fired: list[Tick] = []
        for _ in range(limit):
            ticks = await self._run(lambda conn: fire_next(conn, plan, now))
            if ticks is None:
                break
            fired += ticks
        return fired

    async def schedule_trigger(
        self, owner: str, name: str, build: TickIntent, now: float
    ) -> Tick:
        def op(conn: sqlite3.Connection) -> Tick:
            found = fetch_schedules(conn, "schedule_lock", schedule_key(owner, name))
            if not found:
                raise NotFound(_NOT_FOUND)
            schedule = found[0]
            published = _publish_ticks(
                conn, schedule, [(now, build(schedule, now))], now
            )
            if not published:
                raise Conflict("a tick at this instant was published already")
            advance = advance_params(schedule, schedule.next_fire_at, published[0])
            conn.execute(Q["schedule_advance"], advance)
            return published[0][0]

        return await self._run(op)

    async def schedule_tick_of(self, intent_id: str) -> Tick | None:
        def op(conn: sqlite3.Connection) -> Tick | None:
            found = fetch_ticks(conn, "schedule_tick_of", {"intent_id": intent_id})
            return found[0] if found else None

        return await self._run(op)

    async def schedule_tick_purge(self, before: float) -> int:
        return await self._purge("schedule_tick_purge", {"before": before})
