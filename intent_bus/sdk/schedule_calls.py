"""The schedule API (``/schedules``) as pure calls.

The same contract as ``calls``: each builder checks its arguments against the
protocol, describes the request and says how to read the answer and whether it
may be repeated; both clients only send. ``owner`` is for admin keys (whose
tenant's schedule); a tenant key may leave it out.
"""

from __future__ import annotations

import re
from typing import Any, Final

import httpx

from intent_bus import protocol
from intent_bus.sdk import args
from intent_bus.sdk.call import Call, Safety
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.models import Schedule, ScheduleTick
from intent_bus.sdk.replies import expect, list_field, read_json
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = [
    "delete_schedule",
    "get_schedule",
    "list_schedules",
    "set_schedule",
    "trigger_schedule",
]

_NAME: Final = re.compile(protocol.SCHEDULE_NAME_PATTERN)


def _path(name: Any, suffix: str = "") -> str:
    checked = args.text("name", name, protocol.SCHEDULE_NAME_MAX_CHARS)
    if not _NAME.fullmatch(checked):
        raise IntentBusError(
            "name may hold only A-Z a-z 0-9 . _ - and must not start with . or -"
        )
    return f"/schedules/{checked}{suffix}"


def _owner(owner: Any) -> tuple[tuple[str, str], ...]:
    if owner is None:
        return ()
    return (("owner", args.text("owner", owner, protocol.OWNER_MAX_CHARS)),)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise IntentBusError(f"{name} must be one of {allowed}, got {value!r}")
    return str(value)


def set_schedule(
    name: Any,
    cron: Any,
    intent: dict[str, Any],
    *,
    timezone: Any = protocol.DEFAULT_TIMEZONE,
    overlap: Any = protocol.OVERLAP_ALLOW,
    catch_up: Any = protocol.CATCH_UP_LATEST,
    paused: Any = False,
    owner: Any = None,
) -> Call[Schedule]:
    """PUT /schedules/<name>: create or replace. Safe to repeat: a replace
    with the same definition changes nothing (the next tick is kept)."""
    if not isinstance(paused, bool):
        raise IntentBusError("paused must be True or False")
    body = {
        "cron": args.text("cron", cron, protocol.CRON_MAX_CHARS),
        "timezone": args.text("timezone", timezone, protocol.TIMEZONE_MAX_CHARS),
        "intent": intent,
        "overlap": _choice("overlap", overlap, protocol.OVERLAPS),
        "catch_up": _choice("catch_up", catch_up, protocol.CATCH_UPS),
        "paused": paused,
    }
    return Call(
        "PUT",
        _path(name),
        _parse_set,
        params=_owner(owner),
        body=dumps_bytes(body, "intent"),
    )


def _parse_set(response: httpx.Response, uncertain: bool) -> Schedule:
    expect(response, 200, 201)
    return Schedule.from_json(read_json(response))


def get_schedule(name: Any, owner: Any = None) -> Call[Schedule]:
    """GET /schedules/<name>: the schedule with its next fire times."""
    return Call("GET", _path(name), _parse_schedule, params=_owner(owner))


def _parse_schedule(response: httpx.Response, uncertain: bool) -> Schedule:
    expect(response, 200)
    return Schedule.from_json(read_json(response))


def list_schedules(owner: Any = None) -> Call[list[Schedule]]:
    """GET /schedules: the tenant's schedules (an admin's: everyone's)."""
    return Call("GET", "/schedules", _parse_list, params=_owner(owner))


def _parse_list(response: httpx.Response, uncertain: bool) -> list[Schedule]:
    expect(response, 200)
    return [
        Schedule.from_json(item)
        for item in list_field(response, "schedules", "schedule list")
    ]


def delete_schedule(name: Any, owner: Any = None) -> Call[None]:
    """DELETE /schedules/<name>. Repeated after a lost answer, the 404 of the
    repeat means the first attempt deleted it, so it counts as success."""
    return Call("DELETE", _path(name), _parse_deleted, params=_owner(owner))


def _parse_deleted(response: httpx.Response, uncertain: bool) -> None:
    if response.status_code == 404 and uncertain:
        return
    expect(response, 204)


def trigger_schedule(name: Any, owner: Any = None) -> Call[ScheduleTick]:
    """POST /schedules/<name>/trigger: publishes one tick now. Not repeated
    once it may have reached the server: a repeat would publish another."""
    return Call(
        "POST",
        _path(name, "/trigger"),
        _parse_tick,
        retry=Safety.UNPROCESSED,
        params=_owner(owner),
    )


def _parse_tick(response: httpx.Response, uncertain: bool) -> ScheduleTick:
    expect(response, 201)
    return ScheduleTick.from_json(read_json(response))
