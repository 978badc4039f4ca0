"""Concurrency limits: the record, and the rule claims obey, written once.

A limit caps how many of an owner's intents of one namespace and goal are
claimed at once (`max_running`), and optionally how many of those share a
`concurrency_key` (`max_per_key`). `limit_block` is the rule the claim SQL is
pinned to (tests/contract/test_eligibility.py) and explain reasons with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

GroupKey = tuple[str, str, str]
"""(owner, namespace, goal): what one limit covers."""


@dataclass(frozen=True, slots=True)
class ConcurrencyLimit:
    """At most `max_running` of the group's intents claimed at once, at most
    `max_per_key` of them with one concurrency key; `running` as last counted."""

    owner: str
    namespace: str
    goal: str
    max_running: int
    max_per_key: int | None
    updated_at: float
    running: int = 0


@dataclass(frozen=True, slots=True)
class RunningCount:
    """Claimed intents of a limited group sharing one key (None: no key)."""

    owner: str
    namespace: str
    goal: str
    concurrency_key: str | None
    running: int


@dataclass(frozen=True, slots=True)
class LimitUsage:
    """Limits in force with what each has running, total and per key."""

    limits: dict[GroupKey, ConcurrencyLimit] = field(default_factory=dict)
    running: Counter[GroupKey] = field(default_factory=Counter)
    per_key: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)

    @classmethod
    def of(
        cls, limits: Iterable[ConcurrencyLimit], counts: Iterable[RunningCount]
    ) -> LimitUsage:
        usage = cls({(lim.owner, lim.namespace, lim.goal): lim for lim in limits})
        for count in counts:
            group = (count.owner, count.namespace, count.goal)
            usage.running[group] += count.running
            if count.concurrency_key is not None:
                usage.per_key[(*group, count.concurrency_key)] += count.running
        return usage


@dataclass(frozen=True, slots=True)
class LimitBlock:
    """Why a limit holds an intent back: the limit and what runs against it."""

    limit: ConcurrencyLimit
    running: int
    concurrency_key: str | None
    running_with_key: int | None


def limit_block(
    owner: str, namespace: str, goal: str, key: str | None, usage: LimitUsage
) -> LimitBlock | None:
    """The block on claiming one more intent of that group and key, if any:
    its group runs `max_running` already, or its key runs `max_per_key`."""
    group = (owner, namespace, goal)
    limit = usage.limits.get(group)
    if limit is None:
        return None
    running = usage.running[group]
    with_key = usage.per_key[(*group, key)] if key is not None else None
    per_key_full = (
        limit.max_per_key is not None
        and with_key is not None
        and with_key >= limit.max_per_key
    )
    if running >= limit.max_running or per_key_full:
        return LimitBlock(limit, running, key, with_key)
    return None
