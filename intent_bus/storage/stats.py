"""Queue statistics from the rows both dialects' ``intent_stats`` return."""

from __future__ import annotations

from collections.abc import Iterable

from intent_bus.protocol import STATUSES
from intent_bus.storage.base import QueueStats


def queue_stats(
    rows: Iterable[tuple[str, str, int]], oldest_open: float | None
) -> QueueStats:
    """Builds the counts from (namespace, status, count) rows.

    Every status appears, zero included, overall and in each namespace seen, so
    a metric that drops to zero is reported as zero rather than vanishing.
    """
    by_status = dict.fromkeys(STATUSES, 0)
    by_namespace: dict[str, dict[str, int]] = {}
    for namespace, status, count in rows:
        by_status[status] = by_status.get(status, 0) + int(count)
        counts = by_namespace.setdefault(namespace, dict.fromkeys(STATUSES, 0))
        counts[status] = int(count)
    return QueueStats(by_status, by_namespace, oldest_open)
