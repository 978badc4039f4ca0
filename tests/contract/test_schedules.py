"""Contract: schedules fire each tick exactly once, on both backends.

The plan is the server's own (`server/firing.py`) with an injected clock, so
catch-up, overlap and daylight saving are checked as they run inside the
store's firing transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone
from typing import Any

import msgspec
import pytest

from intent_bus.server.firing import plan_firing
from intent_bus.storage import open_store
from intent_bus.storage.base import Firing, Schedule, Store, Tick
from intent_bus.storage.errors import NotFound
from tests.contract.conftest import claim, claimer, new_intent

pytestmark = pytest.mark.anyio

T0 = 1_700_000_040.0
"""A whole minute (UTC), so minute schedules tick on it."""
TEMPLATE = msgspec.json.encode({"goal": "report", "payload": {"n": 1}})


def schedule(**overrides: Any) -> Schedule:
    """Tenant acme's every-minute UTC schedule `nightly`, next tick T0."""
    base = Schedule(
        owner="acme",
        name="nightly",
        cron="* * * * *",
        timezone="UTC",
        intent=TEMPLATE,
        overlap="allow",
        catch_up="none",
        paused=False,
        next_fire_at=T0,
        created_at=T0 - 3600,
        updated_at=T0 - 3600,
    )
    return dataclasses.replace(base, **overrides)


async def fire(store: Store, now: float) -> list[Tick]:
    return await store.schedule_fire(
        lambda s, live: plan_firing(s, live, now), 100, now
    )


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()  # type: ignore[misc]


async def test_put_creates_then_replaces_keeping_created_at(store: Store) -> None:
    assert await store.schedule_put(schedule()) is True
    replaced = schedule(cron="*/5 * * * *", created_at=T0, updated_at=T0)
    assert await store.schedule_put(replaced) is False

    got = await store.schedule_get("acme", "nightly")
    assert got == dataclasses.replace(replaced, created_at=T0 - 3600)


async def test_schedules_are_per_owner_and_admins_list_all(store: Store) -> None:
    await store.schedule_put(schedule())
    await store.schedule_put(schedule(owner="globex"))
    await store.schedule_put(schedule(name="a-first"))

    assert [s.name for s in await store.schedule_list("acme")] == [
        "a-first",
        "nightly",
    ]
    assert [s.owner for s in await store.schedule_list("globex")] == ["globex"]
    assert len(await store.schedule_list(None)) == 3
    assert await store.schedule_get("initech", "nightly") is None


async def test_delete_forgets_the_schedule_and_its_ticks(store: Store) -> None:
    await store.schedule_put(schedule())
    ticks = await fire(store, T0)
    await store.schedule_delete("acme", "nightly")

    assert await store.schedule_get("acme", "nightly") is None
    assert await store.schedule_tick_of(ticks[0].intent_id) is None
    with pytest.raises(NotFound):
        await store.schedule_delete("acme", "nightly")


async def test_a_due_tick_publishes_one_intent_and_advances(store: Store) -> None:
    await store.schedule_put(schedule())

    assert await fire(store, T0 - 1) == []
    ticks = await fire(store, T0 + 2)

    assert [(t.name, t.scheduled_for, t.fired_at) for t in ticks] == [
        ("nightly", T0, T0 + 2)
    ]
    intent = await store.intent_get(ticks[0].intent_id, T0 + 2)
    assert intent is not None
    assert (intent.owner, intent.goal, intent.payload) == ("acme", "report", b'{"n":1}')
    assert intent.status == "open"
    after = await store.schedule_get("acme", "nightly")
    assert after is not None
    assert after.next_fire_at == T0 + 60
    assert (after.last_scheduled_for, after.last_intent_id) == (T0, intent.id)
    assert await store.schedule_tick_of(intent.id) == ticks[0]
    assert await fire(store, T0 + 3) == []


async def test_a_paused_schedule_does_not_fire(store: Store) -> None:
    await store.schedule_put(schedule(paused=True))
    assert await fire(store, T0 + 600) == []


async def test_a_tick_recorded_before_is_never_published_again(store: Store) -> None:
    # A plan that does not advance stands for a crash between publishing and
    # advancing: the tick's unique record must refuse the second publish.
    await store.schedule_put(schedule())

    def stuck(s: Schedule, live: bool) -> Firing:
        return dataclasses.replace(plan_firing(s, live, T0), next_fire_at=T0)

    first = await store.schedule_fire(stuck, 10, T0)
    again = await store.schedule_fire(stuck, 10, T0)

    assert len(first) == 1
    assert again == []
    stats = await store.intent_stats(T0)
    assert stats.by_status.get("open") == 1


async def test_concurrent_firing_publishes_every_tick_once(
    store: Store, db_url: str
) -> None:
    # Two stores on one database stand for two replicas (on SQLite, two
    # writers on one file); each fires 20 schedules through 30 minutes.
    other = open_store(db_url)
    await other.start()
    try:
        for i in range(20):
            await store.schedule_put(schedule(name=f"s{i}"))
        minutes = [T0 + 60 * m for m in range(30)]
        published: list[Tick] = []
        for now in minutes:
            rounds = await asyncio.gather(
                fire(store, now), fire(other, now), fire(store, now)
            )
            published += [tick for ticks in rounds for tick in ticks]
    finally:
        await other.close()

    assert len(published) == 20 * 30
    assert len({(t.name, t.scheduled_for) for t in published}) == 20 * 30
    stats = await store.intent_stats(T0)
    assert stats.by_status["open"] == 20 * 30
    for i in range(20):
        s = await store.schedule_get("acme", f"s{i}")
        assert s is not None and s.last_scheduled_for == minutes[-1]


@pytest.mark.parametrize(
    ("catch_up", "expected"),
    [
        ("none", [T0 + 600]),
        ("latest", [T0 + 540, T0 + 600]),
        ("all", [T0 + 60 * m for m in range(11)]),
    ],
)
async def test_catch_up_decides_the_ticks_missed_while_down(
    store: Store, catch_up: str, expected: list[float]
) -> None:
    # Down from T0 to T0 + 600: ten missed ticks and one on time.
    await store.schedule_put(schedule(catch_up=catch_up))

    ticks = await fire(store, T0 + 600)

    assert [t.scheduled_for for t in ticks] == expected
    after = await store.schedule_get("acme", "nightly")
    assert after is not None and after.next_fire_at == T0 + 660


async def test_catch_up_all_publishes_the_latest_hundred(store: Store) -> None:
    await store.schedule_put(schedule(cron="* * * * * *", catch_up="all"))

    ticks = await fire(store, T0 + 1000)

    assert [t.scheduled_for for t in ticks] == [T0 + 901 + i for i in range(100)]


async def test_overlap_skip_waits_for_the_previous_intent(store: Store) -> None:
    await store.schedule_put(schedule(overlap="skip"))
    first = await fire(store, T0)
    assert len(first) == 1

    assert await fire(store, T0 + 60) == []  # the first is still open
    taken = await claim(store, claimer(), now=T0 + 61, expires_at=T0 + 300)
    assert taken is not None and taken.id == first[0].intent_id
    assert await fire(store, T0 + 120) == []  # claimed: still running
    assert taken.claim_token is not None
    await store.intent_fulfill(taken.id, taken.claim_token, None, "json", T0 + 130)

    later = await fire(store, T0 + 180)
    assert [t.scheduled_for for t in later] == [T0 + 180]


async def test_overlap_skip_publishes_one_of_many_due_ticks(store: Store) -> None:
    await store.schedule_put(schedule(overlap="skip", catch_up="all"))
    ticks = await fire(store, T0 + 600)
    assert [t.scheduled_for for t in ticks] == [T0]


async def _fire_hourly(store: Store, start: float, hours: int) -> list[float]:
    fired: list[float] = []
    for hour in range(hours * 4):
        fired += [t.scheduled_for for t in await fire(store, start + 900 * hour)]
    return fired


async def test_berlin_spring_forward_fires_the_skipped_time_once_an_hour_late(
    store: Store,
) -> None:
    start = utc(2026, 3, 27, 12, 0)
    await store.schedule_put(
        schedule(
            cron="30 2 * * *",
            timezone="Europe/Berlin",
            next_fire_at=utc(2026, 3, 28, 1, 30),
        )
    )
    fired = await _fire_hourly(store, start, 4 * 24)
    # 02:30 CET, then the skipped 02:30 read as 03:30 CEST, then 02:30 CEST.
    assert fired == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
        utc(2026, 3, 31, 0, 30),
    ]


async def test_berlin_fall_back_fires_the_repeated_time_once(store: Store) -> None:
    start = utc(2026, 10, 24, 12, 0)
    await store.schedule_put(
        schedule(
            cron="30 2 * * *",
            timezone="Europe/Berlin",
            next_fire_at=utc(2026, 10, 25, 0, 30),
        )
    )
    fired = await _fire_hourly(store, start, 3 * 24)
    # 02:30 CEST (the first pass of the repeated hour only), then 02:30 CET.
    assert fired == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 27, 1, 30),
    ]


async def test_trigger_publishes_a_tick_now_even_when_paused(store: Store) -> None:
    await store.schedule_put(schedule(paused=True))

    tick = await store.schedule_trigger(
        "acme", "nightly", lambda s, at: new_intent(owner=s.owner), T0 + 5
    )

    assert (tick.scheduled_for, tick.fired_at) == (T0 + 5, T0 + 5)
    assert await store.intent_get(tick.intent_id, T0 + 5) is not None
    after = await store.schedule_get("acme", "nightly")
    assert after is not None
    assert (after.last_intent_id, after.next_fire_at) == (tick.intent_id, T0)
    with pytest.raises(NotFound):
        await store.schedule_trigger(
            "globex", "nightly", lambda s, at: new_intent(), T0 + 5
        )


async def test_tick_purge_deletes_old_tick_records(store: Store) -> None:
    await store.schedule_put(schedule())
    ticks = await fire(store, T0)
    assert await store.schedule_tick_purge(T0) == 0
    assert await store.schedule_tick_purge(T0 + 1) == 1
    assert await store.schedule_tick_of(ticks[0].intent_id) is None


async def test_a_tick_triggered_at_its_own_time_is_not_published_again(
    store: Store,
) -> None:
    await store.schedule_put(schedule())
    manual = await store.schedule_trigger(
        "acme", "nightly", lambda s, at: new_intent(owner=s.owner), T0
    )

    assert await fire(store, T0) == []
    after = await store.schedule_get("acme", "nightly")
    assert after is not None
    assert after.next_fire_at == T0 + 60  # advanced: not stuck on the tick
    assert after.last_intent_id == manual.intent_id
    assert [t.scheduled_for for t in await fire(store, T0 + 60)] == [T0 + 60]


async def test_the_published_event_names_the_schedule_and_tick(store: Store) -> None:
    await store.schedule_put(schedule())
    tick = (await fire(store, T0))[0]
    manual = await store.schedule_trigger(
        "acme", "nightly", lambda s, at: new_intent(owner=s.owner), T0 + 0.5
    )

    for fired, at in ((tick, "00"), (manual, "00.500000")):
        events = await store.intent_events(fired.intent_id, "acme")
        assert events is not None and events[0].type == "published"
        assert events[0].detail == f"schedule nightly, tick 2023-11-14T22:14:{at}+00:00"
