"""What a due schedule publishes: the pure decision the store runs inside its
firing transaction, and the housekeeping step that asks the store to fire.

Which ticks fire follows three rules, in order:
- due ticks are those in [next_fire_at, now], the latest
  `protocol.SCHEDULE_CATCH_UP_MAX` of them at most;
- a tick at most `protocol.SCHEDULE_GRACE_SECONDS` old is on time and fires;
  older ones were missed (no server ran) and `catch_up` decides: none drops
  them, latest fires the most recent of them, all fires them all;
- `overlap: skip` fires nothing while the last published intent is not yet
  terminal, and at most one tick per firing (the next would overlap it).
"""

from __future__ import annotations

import logging
from typing import Final

import msgspec

from intent_bus import protocol
from intent_bus.server import cron
from intent_bus.server.publish import new_intent
from intent_bus.server.schemas import PublishRequest
from intent_bus.storage.base import Firing, NewIntent, Schedule, Store, Tick

FIRE_BATCH: Final = 1000
"""Schedules fired per housekeeping pass at most; the rest fire in the next."""
RETRY_SECONDS: Final = 60.0
"""When a schedule that could not be read is tried again."""

logger = logging.getLogger("intent_bus.server.firing")


def tick_intent(schedule: Schedule, scheduled_for: float, now: float) -> NewIntent:
    """The intent a tick publishes: the schedule's publish body, as of now."""
    body = msgspec.json.decode(schedule.intent, type=PublishRequest)
    return new_intent(body, schedule.owner, now)


def chosen_ticks(
    schedule: Schedule, live: bool, due: list[float], now: float
) -> list[float]:
    """Which of the due ticks to publish (see the module docstring)."""
    cutoff = now - protocol.SCHEDULE_GRACE_SECONDS
    missed = [tick for tick in due if tick <= cutoff]
    on_time = [tick for tick in due if tick > cutoff]
    if schedule.catch_up == protocol.CATCH_UP_ALL:
        chosen = missed + on_time
    elif schedule.catch_up == protocol.CATCH_UP_LATEST:
        chosen = missed[-1:] + on_time
    else:
        chosen = on_time
    if schedule.overlap == protocol.OVERLAP_SKIP:
        return [] if live else chosen[:1]
    return chosen


def plan_firing(schedule: Schedule, live: bool, now: float) -> Firing:
    """The `FirePlan` of `Store.schedule_fire` at `now`.

    A schedule that can no longer be read (its zone left the tz database)
    publishes nothing and is retried a minute later, so it never blocks the
    schedules behind it.
    """
    try:
        return _plan(schedule, live, now)
    except (cron.CronError, msgspec.ValidationError) as exc:
        logger.warning(
            "schedule %r of %r not fired: %s", schedule.name, schedule.owner, exc
        )
        return Firing(intents=(), next_fire_at=now + RETRY_SECONDS)


def _plan(schedule: Schedule, live: bool, now: float) -> Firing:
    tz = cron.zone(schedule.timezone)
    due = cron.due_ticks(
        schedule.cron, tz, schedule.next_fire_at, now, protocol.SCHEDULE_CATCH_UP_MAX
    )
    ticks = chosen_ticks(schedule, live, due, now)
    return Firing(
        intents=[(tick, tick_intent(schedule, tick, now)) for tick in ticks],
        next_fire_at=cron.next_after(schedule.cron, tz, now),
    )


async def fire_due(store: Store, now: float) -> list[Tick]:
    """Fires up to FIRE_BATCH schedules due at `now`; the rest go next pass."""
    return await store.schedule_fire(
        lambda schedule, live: plan_firing(schedule, live, now), FIRE_BATCH, now
    )
