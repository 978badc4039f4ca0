"""The PostgreSQL backend's schedule methods (the `Store` block `-- schedules --`).

Every replica fires at once. Each schedule is fired in its own transaction that
locks it with ``FOR UPDATE SKIP LOCKED`` (a replica never waits for another's
schedule), publishes, records the ticks and advances it; the primary key of
`schedule_ticks` is the last guard, so a tick can be published only once however
replicas, restarts and kills interleave: a tick recorded before is not
published again.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.base import (
    FirePlan,
    NewIntent,
    Schedule,
    Tick,
    TickIntent,
    work_of,
)
from intent_bus.storage.errors import Conflict, NotFound
from intent_bus.storage.firing import (
    advance_params,
    schedule_key,
    tick_event_params,
)
from intent_bus.storage.params import as_params
from intent_bus.storage.postgres.listener import work_payload
from intent_bus.storage.postgres.records import schedule_from_row, tick_from_row

Cursor = psycopg.AsyncCursor[DictRow]

_NOT_FOUND: Final = "schedule not found"


class PostgresSchedules:
    """Mixin of `PostgresStore`: the schedule methods on its pool."""

    _origin: str

    def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]:
        raise NotImplementedError

    def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]:
        raise NotImplementedError

    async def _run(self, cur: Cursor, name: str, params: dict[str, Any]) -> Cursor:
        raise NotImplementedError

    async def _purge(self, name: str, params: dict[str, Any], batch: int) -> int:
        raise NotImplementedError

    async def _one(self, cur: Cursor, name: str, params: dict[str, Any]) -> Any:
        return await (await self._run(cur, name, params)).fetchone()

    async def _publish_ticks(
        self,
        cur: Cursor,
        schedule: Schedule,
        pairs: list[tuple[float, NewIntent]],
        now: float,
    ) -> list[tuple[Tick, NewIntent]]:
        """Records each tick and, when it is new, inserts its intent (waking
        the replicas); returns what it published."""
        published = []
        for scheduled_for, intent in pairs:
            tick = Tick(schedule.owner, schedule.name, scheduled_for, intent.id, now)
            if await self._one(cur, "schedule_tick_insert", as_params(tick)) is None:
                continue  # published before
            params = {
                **as_params(intent),
                "now": now,
                "notify_payload": work_payload(self._origin, work_of(intent)),
            }
            await self._run(cur, "intent_insert_notify", params)
            await self._run(cur, "schedule_tick_event", tick_event_params(tick))
            published.append((tick, intent))
        return published

    async def schedule_put(self, schedule: Schedule) -> bool:
        key = schedule_key(schedule.owner, schedule.name)
        async with self._tx() as cur:
            existed = await self._one(cur, "schedule_lock", key) is not None
            await self._run(cur, "schedule_upsert", as_params(schedule))
        return not existed

    async def schedule_get(self, owner: str, name: str) -> Schedule | None:
        async with self._statement() as cur:
            row = await self._one(cur, "schedule_get", schedule_key(owner, name))
        return schedule_from_row(row) if row else None

    async def schedule_list(self, owner: str | None) -> list[Schedule]:
        async with self._statement() as cur:
            await self._run(cur, "schedule_list", {"owner": owner})
            rows = await cur.fetchall()
        return [schedule_from_row(row) for row in rows]

    async def schedule_delete(self, owner: str, name: str) -> None:
        key = schedule_key(owner, name)
        async with self._tx() as cur:
            if await self._one(cur, "schedule_delete", key) is None:
                raise NotFound(_NOT_FOUND)
            await self._run(cur, "schedule_ticks_delete", key)

    async def _fire_next(self, plan: FirePlan, now: float) -> list[Tick] | None:
        async with self._tx() as cur:
            row = await self._one(cur, "schedule_due", {"now": now})
            if row is None:
                return None
            schedule = schedule_from_row(row)
            live = False
            if schedule.last_intent_id is not None:
                params = {"id": schedule.last_intent_id}
                live = (
                    await self._one(cur, "schedule_previous_live", params) is not None
                )
            firing = plan(schedule, live)
            pairs = list(firing.intents)
            published = await self._publish_ticks(cur, schedule, pairs, now)
            last = published[-1] if published else None
            advance = advance_params(schedule, firing.next_fire_at, last)
            await self._run(cur, "schedule_advance", advance)
        return [tick for tick, _ in published]

    async def schedule_fire(self, plan: FirePlan, limit: int, now: float) -> list[Tick]:
        fired: list[Tick] = []
        for _ in range(limit):
            ticks = await self._fire_next(plan, now)
            if ticks is None:
                break
            fired += ticks
        return fired

    async def schedule_trigger(
        self, owner: str, name: str, build: TickIntent, now: float
    ) -> Tick:
        async with self._tx() as cur:
            row = await self._one(cur, "schedule_lock", schedule_key(owner, name))
            if row is None:
                raise NotFound(_NOT_FOUND)
            schedule = schedule_from_row(row)
            pairs = [(now, build(schedule, now))]
            published = await self._publish_ticks(cur, schedule, pairs, now)
            if not published:
                raise Conflict("a tick at this instant was published already")
            advance = advance_params(schedule, schedule.next_fire_at, published[0])
            await self._run(cur, "schedule_advance", advance)
        return published[0][0]

    async def schedule_tick_of(self, intent_id: str) -> Tick | None:
        async with self._statement() as cur:
            row = await self._one(cur, "schedule_tick_of", {"intent_id": intent_id})
        return tick_from_row(row) if row else None

    async def schedule_tick_purge(self, before: float) -> int:
        return await self._purge("schedule_tick_purge", {"before": before}, 5000)
