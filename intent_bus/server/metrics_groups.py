"""Prometheus gauges per namespace and goal (the GET /stats figures, all
tenants summed), with bounded label cardinality: the GROUP_SERIES_MAX busiest
(namespace, goal) pairs get their own series, the rest are summed under
namespace="other", goal="other"."""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from intent_bus import protocol
from intent_bus.storage.group_stats import GroupStats

GROUP_SERIES_MAX: Final = 50
OTHER: Final = ("other", "other")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def group_lines(groups: list[GroupStats], now: float) -> list[str]:
    """The gauge lines of intents per status, the oldest open age and the
    completions of the last full minute, per (namespace, goal)."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(protocol.STATUSES, 0)
    )
    oldest: dict[tuple[str, str], float] = {}
    done: dict[tuple[str, str], int] = defaultdict(int)
    for group in groups:
        key = (group.namespace, group.goal)
        for status, n in group.counts.items():
            counts[key][status] = counts[key].get(status, 0) + n
        if group.oldest_open_created_at is not None:
            oldest[key] = min(oldest.get(key, now), group.oldest_open_created_at)
        done[key] += group.completions[-2] if len(group.completions) > 1 else 0
    busiest = sorted(counts, key=lambda key: (-sum(counts[key].values()), key))
    kept = set(busiest[:GROUP_SERIES_MAX])

    def series(key: tuple[str, str]) -> tuple[str, str]:
        return key if key in kept else OTHER

    merged: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(protocol.STATUSES, 0)
    )
    merged_oldest: dict[tuple[str, str], float] = {}
    merged_done: dict[tuple[str, str], int] = defaultdict(int)
    for key, by_status in counts.items():
        target = series(key)
        for status, n in by_status.items():
            merged[target][status] = merged[target].get(status, 0) + n
        if key in oldest:
            merged_oldest[target] = min(merged_oldest.get(target, now), oldest[key])
        merged_done[target] += done[key]

    def labels(key: tuple[str, str]) -> str:
        return f'namespace="{_label(key[0])}",goal="{_label(key[1])}"'

    lines = [
        "# HELP intent_bus_group_intents Intents by namespace, goal and status"
        f" (top {GROUP_SERIES_MAX} pairs, the rest as other).",
        "# TYPE intent_bus_group_intents gauge",
    ]
    for key in sorted(merged):
        for status, n in sorted(merged[key].items()):
            lines.append(
                f'intent_bus_group_intents{{{labels(key)},status="{status}"}} {n}'
            )
    lines += [
        "# HELP intent_bus_group_oldest_open_age_seconds Oldest open intent's age.",
        "# TYPE intent_bus_group_oldest_open_age_seconds gauge",
    ]
    for key in sorted(merged_oldest):
        age = max(0.0, now - merged_oldest[key])
        lines.append(
            f"intent_bus_group_oldest_open_age_seconds{{{labels(key)}}} {age:.3f}"
        )
    lines += [
        "# HELP intent_bus_group_completions_last_minute Intents fulfilled in the"
        " last full minute.",
        "# TYPE intent_bus_group_completions_last_minute gauge",
    ]
    for key in sorted(merged_done):
        name = "intent_bus_group_completions_last_minute"
        lines.append(f"{name}{{{labels(key)}}} {merged_done[key]}")
    return lines
