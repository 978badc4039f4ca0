"""The schedules' request inputs and response bodies (PUT/GET/DELETE
/schedules/{name}, GET /schedules, POST /schedules/{name}/trigger), beside the
rest of the API's Structs in `schemas`, whose types they build on."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Raw, Struct

from intent_bus import protocol
from intent_bus.server.schemas import (
    CatchUp,
    Overlap,
    Owner,
    PublishRequest,
    _doc,
)


class ScheduleRequest(Struct, kw_only=True):
    """Body of PUT /schedules/{name}: when to publish what."""

    cron: Annotated[
        str,
        Meta(min_length=1, max_length=protocol.CRON_MAX_CHARS),
        _doc("5 fields, or 6 with a leading seconds field"),
    ]
    timezone: Annotated[
        str,
        Meta(min_length=1, max_length=protocol.TIMEZONE_MAX_CHARS),
        _doc("IANA time zone the cron is read in"),
    ] = protocol.DEFAULT_TIMEZONE
    intent: PublishRequest
    overlap: Overlap = protocol.OVERLAP_ALLOW
    catch_up: CatchUp = protocol.CATCH_UP_LATEST
    paused: bool = False


class ScheduleParams(Struct, kw_only=True):
    """Query of the /schedules endpoints."""

    owner: (
        Annotated[Owner, _doc("Admins only: the tenant whose schedules to use")] | None
    ) = None


class ScheduleView(Struct, kw_only=True):
    """A schedule with its next fire times (none while paused)."""

    name: str
    owner: str
    cron: str
    timezone: str
    intent: Raw
    overlap: Overlap
    catch_up: CatchUp
    paused: bool
    next_fire_at: float | None
    next_fire_times: list[float]
    last_scheduled_for: float | None
    last_intent_id: str | None
    created_at: float
    updated_at: float


class ScheduleList(Struct, kw_only=True):
    schedules: list[ScheduleView]


class TickView(Struct, kw_only=True):
    """One tick a schedule published: which intent, for which time."""

    schedule: str
    owner: str
    scheduled_for: float
    intent_id: str
    fired_at: float
