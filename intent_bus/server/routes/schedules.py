"""Cron schedules: define, read, delete and trigger the tenant's schedules.

Firing happens in housekeeping (`server/firing.py`); these endpoints only
change definitions, except trigger, which publishes one tick at once. A
tenant sees only its own schedules; an admin sees everyone's and names a
tenant with `?owner=`.
"""

from __future__ import annotations

import re
from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from intent_bus import protocol
from intent_bus.server import cron
from intent_bus.server.errors import invalid_request, not_found
from intent_bus.server.firing import tick_intent
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_schedules import (
    ScheduleList,
    ScheduleParams,
    ScheduleRequest,
    ScheduleView,
    TickView,
)
from intent_bus.server.tenancy import owner_forbidden
from intent_bus.server.views import schedule_view, tick_view
from intent_bus.storage.base import Schedule

_NAME: Final = re.compile(protocol.SCHEDULE_NAME_PATTERN)


def _name(call: Call, *, creating: bool = False) -> str:
    """The schedule's name. A name that breaks the rule is refused when a
    schedule is created (400), and is simply not found anywhere else (404):
    no schedule can have it."""
    name: str = call.params["name"]
    if not _NAME.fullmatch(name):
        if not creating:
            raise not_found("schedule not found")
        raise invalid_request(
            f"name: 1..{protocol.SCHEDULE_NAME_MAX_CHARS} characters of"
            " A-Z a-z 0-9 . _ -, not starting with . or -"
        )
    return name


def _owner(call: Call, *, listing: bool = False) -> str | None:
    """Whose schedules the call addresses; None lists everyone's (admins)."""
    query: ScheduleParams = call.query
    key = call.caller
    if key.role == protocol.ROLE_ADMIN:
        return query.owner or (None if listing else key.owner)
    if query.owner not in (None, key.owner):
        raise owner_forbidden()  # as on every control route: only admins name one
    return key.owner


def _view(schedule: Schedule) -> ScheduleView:
    upcoming: list[float] = []
    if not schedule.paused:
        tz = cron.zone(schedule.timezone)
        after = cron.upcoming(
            schedule.cron, tz, schedule.next_fire_at, protocol.SCHEDULE_NEXT_FIRES - 1
        )
        upcoming = [schedule.next_fire_at, *after]
    return schedule_view(schedule, upcoming)


async def _found(call: Call) -> Schedule:
    owner = _owner(call)
    assert owner is not None
    schedule = await call.services.store.schedule_get(owner, _name(call))
    if schedule is None:
        raise not_found("schedule not found")
    return schedule


def _checked_zone(body: ScheduleRequest) -> ZoneInfo:
    """The body's zone, once its cron and zone are known good (else 400)."""
    try:
        cron.check_cron(body.cron)
        return cron.zone(body.timezone)
    except cron.CronError as exc:
        raise invalid_request(str(exc)) from None


def _next_fire_at(
    old: Schedule | None, body: ScheduleRequest, tz: ZoneInfo, now: float
) -> float:
    """A replace that keeps the cron, zone and pause keeps the next tick, so it
    never drops a due one; anything else starts from the first tick after now."""
    if old is not None and (old.cron, old.timezone, old.paused) == (
        body.cron,
        body.timezone,
        body.paused,
    ):
        return old.next_fire_at
    return cron.next_after(body.cron, tz, now)


async def schedule_put(call: Call, body: ScheduleRequest) -> Reply:
    """Creates (201) or replaces (200) a schedule."""
    name, owner = _name(call, creating=True), _owner(call)
    assert owner is not None
    tz = _checked_zone(body)
    store = call.services.store
    old = await store.schedule_get(owner, name)
    schedule = Schedule(
        owner=owner,
        name=name,
        cron=body.cron,
        timezone=body.timezone,
        intent=msgspec.json.encode(body.intent),
        overlap=body.overlap,
        catch_up=body.catch_up,
        paused=body.paused,
        next_fire_at=_next_fire_at(old, body, tz, call.now),
        created_at=call.now,
        updated_at=call.now,
    )
    created = await store.schedule_put(schedule)
    stored = await store.schedule_get(owner, name)
    if stored is None:
        raise not_found("schedule not found")  # deleted meanwhile
    return json_reply(201 if created else 200, _view(stored))


async def schedule_get(call: Call, _: None) -> Reply:
    return json_reply(200, _view(await _found(call)))


async def schedule_list(call: Call, _: None) -> Reply:
    found = await call.services.store.schedule_list(_owner(call, listing=True))
    return json_reply(200, ScheduleList(schedules=[_view(s) for s in found]))


async def schedule_delete(call: Call, _: None) -> Reply:
    owner = _owner(call)
    assert owner is not None
    await call.services.store.schedule_delete(owner, _name(call))
    return Reply(204, b"")


async def schedule_trigger(call: Call, _: None) -> Reply:
    """Publishes one tick now, whatever the cron, pause or overlap say."""
    owner = _owner(call)
    assert owner is not None
    tick = await call.services.store.schedule_trigger(
        owner, _name(call), lambda s, at: tick_intent(s, at, call.now), call.now
    )
    call.services.hub.wake_all()  # the tick's intent is known only by id
    return json_reply(201, tick_view(tick))


_PATH: Final = "/schedules/{name}"
ENDPOINTS = (
    Endpoint(
        "PUT",
        _PATH,
        schedule_put,
        "Create or replace a schedule of the caller's tenant",
        body=ScheduleRequest,
        query=ScheduleParams,
        responses={200: ScheduleView, 201: ScheduleView, 400: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/schedules",
        schedule_list,
        "The tenant's schedules (an admin's: everyone's, or one owner's)",
        query=ScheduleParams,
        responses={200: ScheduleList},
    ),
    Endpoint(
        "GET",
        _PATH,
        schedule_get,
        "A schedule with its next fire times",
        query=ScheduleParams,
        responses={200: ScheduleView, 404: ErrorBody},
    ),
    Endpoint(
        "DELETE",
        _PATH,
        schedule_delete,
        "Delete a schedule (intents it published stay)",
        query=ScheduleParams,
        responses={204: None, 404: ErrorBody},
    ),
    Endpoint(
        "POST",
        _PATH + "/trigger",
        schedule_trigger,
        "Publish one tick of a schedule now",
        query=ScheduleParams,
        responses={201: TickView, 404: ErrorBody},
    ),
)
