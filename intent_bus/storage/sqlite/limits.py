"""The SQLite side of concurrency limits, mixed into `SqliteStore`.

One writer runs every claim, so the running count a claim reads inside its
transaction is exact and no lock is needed (contrast storage/postgres/limits.py).
A lease of a limited group that ends frees a slot; the store then calls its
`on_work` callback with None, which wakes every waiting claimer once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from intent_bus.storage.base import Intent, Work
from intent_bus.storage.errors import NotFound
from intent_bus.storage.limits import ConcurrencyLimit, LimitUsage, RunningCount
from intent_bus.storage.params import group_params, limit_params
from intent_bus.storage.sqlite.records import Q, fetch_rows

T = TypeVar("T")


def _limit(row: tuple[Any, ...]) -> ConcurrencyLimit:
    owner, namespace, goal, max_running, max_per_key, updated_at, running = row
    return ConcurrencyLimit(
        owner, namespace, goal, max_running, max_per_key, float(updated_at), running
    )


def holds_slot(conn: sqlite3.Connection, intent: Intent) -> bool:
    """Whether the intent's group has a limit (its ended lease frees a slot)."""
    key = group_params(intent.owner, intent.namespace, intent.goal)
    return bool(fetch_rows(conn, "limit_exists", key))


class SqliteLimits:
    """Limits and their running counts; every method is one writer operation."""

    _on_work: Callable[[Work | None], None] | None

    if TYPE_CHECKING:

        async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T: ...

    def _slot_freed(self, freed: bool) -> None:
        """Wakes every waiting claimer when a limited lease ended."""
        if freed and self._on_work is not None:
            self._on_work(None)

    async def limit_set(
        self,
        owner: str,
        namespace: str,
        goal: str,
        max_running: int,
        max_per_key: int | None,
        now: float,
    ) -> ConcurrencyLimit:
        params = limit_params(owner, namespace, goal, max_running, max_per_key, now)

        def op(conn: sqlite3.Connection) -> ConcurrencyLimit:
            conn.execute(Q["limit_set"], params)
            rows = fetch_rows(conn, "limit_list", params)
            return next(_limit(r) for r in rows if (r[1], r[2]) == (namespace, goal))

        return await self._run(op)

    async def limit_clear(self, owner: str, namespace: str, goal: str) -> None:
        key = group_params(owner, namespace, goal)
        if not await self._run(lambda conn: bool(fetch_rows(conn, "limit_clear", key))):
            raise NotFound("limit not found")

    async def limit_list(self, owner: str | None) -> list[ConcurrencyLimit]:
        params = {"owner": owner}
        return await self._run(
            lambda conn: [_limit(r) for r in fetch_rows(conn, "limit_list", params)]
        )

    async def limit_usage(self, owner: str | None) -> LimitUsage:
        params = {"owner": owner}

        def op(conn: sqlite3.Connection) -> LimitUsage:
            limits = [_limit(r) for r in fetch_rows(conn, "limit_list", params)]
            counts = [
                RunningCount(*row) for row in fetch_rows(conn, "limit_running", params)
            ]
            return LimitUsage.of(limits, counts)

        return await self._run(op)
