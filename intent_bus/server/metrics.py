"""Prometheus metrics: request counts kept in process, queue depth from the store.

Request counts cost one Counter increment per request. Queue depth needs a
count over the intents table, which is not free on a large history, so it is
cached for a few seconds: scrapers poll every 15 s or so anyway.
"""

from __future__ import annotations

from collections import Counter

from intent_bus import protocol
from intent_bus.server.metrics_groups import group_lines
from intent_bus.storage.base import QueueStats, Store
from intent_bus.storage.group_stats import GroupStats

STATS_TTL_SECONDS = 5.0
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Counters of this process, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self._stats: QueueStats | None = None
        self._stats_at = float("-inf")
        self._groups: list[GroupStats] = []
        self._groups_at = float("-inf")

    def count(self, method: str, route: str, status: int) -> None:
        self.requests[(method, route, status)] += 1

    async def _queue(self, store: Store, now: float) -> QueueStats:
        if self._stats is None or now - self._stats_at > STATS_TTL_SECONDS:
            self._stats = await store.intent_stats(now)
            self._stats_at = now
        return self._stats

    async def _group_stats(self, store: Store, now: float) -> list[GroupStats]:
        if now - self._groups_at > STATS_TTL_SECONDS:
            self._groups = await store.intent_group_stats(None, now)
            self._groups_at = now
        return self._groups

    async def render(self, store: Store, now: float) -> bytes:
        stats = await self._queue(store, now)
        lines = [
            "# HELP intent_bus_info Protocol version served by this process.",
            "# TYPE intent_bus_info gauge",
            f'intent_bus_info{{protocol="{protocol.PROTOCOL_VERSION}"}} 1',
            "# HELP intent_bus_requests_total Requests answered by this process.",
            "# TYPE intent_bus_requests_total counter",
        ]
        for (method, route, code), n in sorted(self.requests.items()):
            lines.append(
                f'intent_bus_requests_total{{method="{method}",route="{_label(route)}",'
                f'status="{code}"}} {n}'
            )
        lines += [
            "# HELP intent_bus_intents Intents in the store by status.",
            "# TYPE intent_bus_intents gauge",
        ]
        for status in protocol.STATUSES:
            count = stats.by_status.get(status, 0)
            lines.append(f'intent_bus_intents{{status="{status}"}} {count}')
        lines += [
            "# HELP intent_bus_namespace_intents Intents by namespace and status.",
            "# TYPE intent_bus_namespace_intents gauge",
        ]
        for namespace, counts in sorted(stats.by_namespace.items()):
            for state, n in sorted(counts.items()):
                lines.append(
                    f'intent_bus_namespace_intents{{namespace="{_label(namespace)}",'
                    f'status="{state}"}} {n}'
                )
        if stats.oldest_open_created_at is not None:
            age = max(0.0, now - stats.oldest_open_created_at)
            lines += [
                "# HELP intent_bus_oldest_open_age_seconds Oldest open intent's age.",
                "# TYPE intent_bus_oldest_open_age_seconds gauge",
                f"intent_bus_oldest_open_age_seconds {age:.3f}",
            ]
        lines += group_lines(await self._group_stats(store, now), now)
        return ("\n".join(lines) + "\n").encode()
