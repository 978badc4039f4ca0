"""GET /stats figures per (owner, namespace, goal), built from the rows of the
`intent_group_*` queries the same way for both dialects."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from intent_bus.protocol import STATUS_OPEN, STATUSES

COMPLETION_MINUTES: Final = 60
"""Completions are counted per minute over this many minutes, the current one last."""

GroupKey = tuple[str, str, str]


@dataclass(slots=True)
class GroupStats:
    """One (owner, namespace, goal): intents per status (every status listed),
    when its oldest open intent was created, and how many intents were
    fulfilled in each of the last COMPLETION_MINUTES minutes, oldest first."""

    owner: str
    namespace: str
    goal: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    oldest_open_created_at: float | None = None
    completions: list[int] = field(default_factory=lambda: [0] * COMPLETION_MINUTES)


def completions_since(now: float) -> float:
    """Start of the oldest minute counted: the current minute is the last."""
    return (math.floor(now / 60) - (COMPLETION_MINUTES - 1)) * 60.0


def completions_kept_from(now: float) -> int:
    """The oldest minute (floor(completed_at / 60)) whose completions are kept:
    twice the window, so a replica whose clock lags still reads a full hour."""
    return math.floor(now / 60) - 2 * COMPLETION_MINUTES


def group_stats(
    counts: Iterable[Sequence[Any]], completions: Iterable[Sequence[Any]]
) -> list[GroupStats]:
    """Groups from (owner, namespace, goal, status, n, oldest created_at) and
    (owner, namespace, goal, JSON array of [minute, n]) rows, sorted by their
    key. A busy hour is groups x 60 figures: as one JSON text per group they
    cost a C parse, not a database row and several Python objects each."""
    groups: dict[GroupKey, GroupStats] = {}

    def group(key: GroupKey) -> GroupStats:
        found = groups.get(key)
        if found is None:
            found = groups[key] = GroupStats(*key)
        return found

    for owner, namespace, goal, status, n, oldest in counts:
        stats = group((owner, namespace, goal))
        stats.counts[status] = stats.counts.get(status, 0) + int(n)
        if status == STATUS_OPEN and oldest is not None:
            stats.oldest_open_created_at = float(oldest)
    for owner, namespace, goal, minutes in completions:
        done = group((owner, namespace, goal)).completions
        for minute, n in json.loads(minutes):
            if 0 <= minute < COMPLETION_MINUTES:
                done[minute] += n
    return [groups[key] for key in sorted(groups)]
