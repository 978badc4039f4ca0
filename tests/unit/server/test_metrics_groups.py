"""Per (namespace, goal) gauges keep label cardinality bounded."""

from __future__ import annotations

import re

from intent_bus.server.metrics_groups import GROUP_SERIES_MAX, group_lines
from intent_bus.storage.group_stats import GroupStats


def _group(namespace: str, goal: str, open_: int, owner: str = "acme") -> GroupStats:
    group = GroupStats(owner, namespace, goal)
    group.counts["open"] = open_
    group.oldest_open_created_at = 900.0
    group.completions[-2] = 3
    return group


def test_at_most_the_cap_of_pairs_plus_other() -> None:
    groups = [_group("ns", f"g{i}", i + 1) for i in range(GROUP_SERIES_MAX + 25)]
    lines = group_lines(groups, 1000.0)
    pairs = {
        match.groups()
        for line in lines
        if (match := re.search(r'namespace="([^"]*)",goal="([^"]*)"', line))
    }
    assert len(pairs) == GROUP_SERIES_MAX + 1
    assert ("other", "other") in pairs
    assert ("ns", f"g{GROUP_SERIES_MAX + 24}") in pairs  # the busiest kept
    assert ("ns", "g0") not in pairs  # the quietest folded into other
    other_open = next(
        line
        for line in lines
        if line.startswith('intent_bus_group_intents{namespace="other"')
        and 'status="open"' in line
    )
    assert other_open.endswith(f" {sum(range(1, 26))}")


def test_tenants_are_summed_and_ages_and_completions_reported() -> None:
    lines = group_lines([_group("ns", "g", 2), _group("ns", "g", 3, owner="b")], 1000.0)
    assert 'intent_bus_group_intents{namespace="ns",goal="g",status="open"} 5' in lines
    assert (
        'intent_bus_group_oldest_open_age_seconds{namespace="ns",goal="g"} 100.000'
        in lines
    )
    assert (
        'intent_bus_group_completions_last_minute{namespace="ns",goal="g"} 6' in lines
    )
