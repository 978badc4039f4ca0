"""When a schedule's ticks fall: cron expressions read in a time zone, as Unix times.

croniter does the calendar arithmetic on naive wall-clock times of the
schedule's zone; this module maps wall times to instants with `zoneinfo`, which
is where daylight saving is decided, once:

- a wall time the spring-forward skips (02:30 on the last Sunday of March in
  Europe/Berlin) is read with the offset before the change, so it fires once,
  one hour later on the wall clock (03:30); ticks that land on the same
  instant fire once;
- a wall time the autumn change repeats (02:30 on the last Sunday of October)
  fires once, at its first occurrence; the second pass through that hour fires
  nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

_DST_MARGIN: Final = timedelta(hours=1)
"""How far a DST change can move wall time against instants."""


class CronError(ValueError):
    """A schedule's cron or timezone is unusable; `field` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name, or CronError naming `timezone`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError("timezone", f"unknown time zone {name!r}") from None


def check_cron(expression: str) -> None:
    """Five fields, or six with a leading seconds field; else CronError."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise CronError("cron", "must have 5 fields, or 6 with leading seconds")
    try:
        croniter(expression, datetime(2000, 1, 1), second_at_beginning=True)
    except (CroniterError, ValueError) as exc:
        raise CronError("cron", str(exc)) from None


def _wall(instant: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant, tz).replace(tzinfo=None, fold=0)


def _instant(wall: datetime, tz: ZoneInfo) -> float:
    # fold=0: the first occurrence of a repeated time; for a skipped time, the
    # offset before the change (PEP 495), i.e. one gap later on the wall clock.
    return wall.replace(tzinfo=tz, fold=0).timestamp()


def _iterator(expression: str, wall: datetime) -> croniter:
    return croniter(expression, wall, second_at_beginning=True)


def _start(after: float, tz: ZoneInfo) -> datetime:
    """Where to start looking for ticks after `after`: its wall time, or an
    hour earlier right after a DST change (a skipped wall time shortly before
    may map to an instant after `after`)."""
    wall = _wall(after, tz)
    before = datetime.fromtimestamp(after - _DST_MARGIN.total_seconds(), tz)
    if before.utcoffset() != datetime.fromtimestamp(after, tz).utcoffset():
        return wall - _DST_MARGIN
    return wall


def next_after(expression: str, tz: ZoneInfo, after: float) -> float:
    """The first tick strictly after the instant `after`."""
    ticks = _iterator(expression, _start(after, tz))
    while True:
        instant = _instant(ticks.get_next(datetime), tz)
        if instant > after:
            return instant


def upcoming(expression: str, tz: ZoneInfo, after: float, count: int) -> list[float]:
    """The next `count` ticks after `after`."""
    times: list[float] = []
    while len(times) < count:
        after = next_after(expression, tz, after)
        times.append(after)
    return times


def due_ticks(
    expression: str, tz: ZoneInfo, since: float, now: float, limit: int
) -> list[float]:
    """The latest `limit` ticks in [since, now], oldest first; `since` is a
    tick itself (a schedule's next_fire_at)."""
    found = [since] if since <= now else []
    tick = since
    while len(found) <= limit:
        tick = next_after(expression, tz, tick)
        if tick > now:
            return found[-limit:] if limit else []
        found.append(tick)
    return _latest_ticks(expression, tz, since, now, limit)


def _latest_ticks(
    expression: str, tz: ZoneInfo, since: float, now: float, limit: int
) -> list[float]:
    """The latest `limit` ticks in [since, now], walking back from now: for
    when many ticks were missed and walking forward would take long."""
    ticks = _iterator(expression, _wall(now, tz) + _DST_MARGIN)
    floor = _wall(since, tz) - _DST_MARGIN
    found: set[float] = set()
    while len(found) < limit:
        wall = ticks.get_prev(datetime)
        if wall < floor:
            break
        instant = _instant(wall, tz)
        if since <= instant <= now:
            found.add(instant)
    return sorted(found)


def utc_text(instant: float) -> str:
    """An instant as ISO 8601 UTC, for messages and logs."""
    return datetime.fromtimestamp(instant, timezone.utc).isoformat()
