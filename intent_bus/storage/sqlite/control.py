"""The SQLite side of the control API's reads and pauses, mixed into
`SqliteStore`: intent search (storage/search.py plans the walk) and pauses."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from intent_bus.storage.base import Intent, IntentPage, Pause
from intent_bus.storage.group_stats import (
    GroupStats,
    completions_kept_from,
    completions_since,
    group_stats,
)
from intent_bus.storage.search import IntentFilter, pick_page, plan_walk, walk_rows
from intent_bus.storage.sqlite.records import Q, fetch_intents, fetch_rows
from intent_bus.storage.workers import (
    WorkerRecord,
    WorkerSighting,
    upsert_params,
    worker_records,
)

T = TypeVar("T")


def _pause(row: tuple[str, str, str, float]) -> Pause:
    owner, namespace, goal, paused_at = row
    return Pause(owner, namespace, goal or None, float(paused_at))


class SqliteControl:
    """Search and pauses; every method is one writer operation."""

    _counts_forgotten_before: int | None = None
    """The minute `intent_counts_fold` last forgot completions before."""

    if TYPE_CHECKING:

        async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T: ...
        async def _purge(self, name: str, params: dict[str, Any]) -> int: ...
        async def _read_snapshot(
            self, operation: Callable[[sqlite3.Connection], T]
        ) -> T: ...

    async def intent_search(self, search: IntentFilter, limit: int) -> IntentPage:
        name, params = plan_walk(search, limit)

        def op(conn: sqlite3.Connection) -> IntentPage:
            rows = walk_rows(fetch_rows(conn, name, params))
            seqs, next_before = pick_page(rows, search, limit, params["scan"])
            if not seqs:
                return IntentPage([], next_before)
            found = fetch_intents(
                conn, "intent_search_fetch", {"seqs": json.dumps(seqs)}
            )
            return IntentPage(found, next_before)

        return await self._run(op)

    async def pause_set(
        self, owner: str, namespace: str, goal: str | None, now: float
    ) -> Pause:
        params = {
            "owner": owner,
            "namespace": namespace,
            "goal": goal or "",
            "now": now,
        }
        return await self._run(
            lambda conn: _pause(fetch_rows(conn, "pause_set", params)[0])
        )

    async def pause_clear(self, owner: str, namespace: str, goal: str | None) -> bool:
        params = {"owner": owner, "namespace": namespace, "goal": goal or ""}
        return await self._run(
            lambda conn: bool(fetch_rows(conn, "pause_clear", params))
        )

    async def pause_list(self, owner: str | None) -> list[Pause]:
        def op(conn: sqlite3.Connection) -> list[Pause]:
            return [
                _pause(row) for row in fetch_rows(conn, "pause_list", {"owner": owner})
            ]

        return await self._run(op)

    async def intent_group_stats(
        self, owner: str | None, now: float
    ) -> list[GroupStats]:
        params = {"owner": owner, "since": completions_since(now)}
        whose = "all" if owner is None else "owner"

        def op(conn: sqlite3.Connection) -> list[GroupStats]:
            return group_stats(
                fetch_rows(conn, f"intent_group_counts_{whose}", params),
                fetch_rows(conn, f"intent_group_completions_{whose}", params),
            )

        # Reads O(groups) rows, on a snapshot beside the writer.
        return await self._read_snapshot(op)

    async def intent_counts_fold(self, now: float) -> int:
        # The triggers update the counters in place (one writer): nothing to
        # fold, only minutes past the window and emptied counters to forget,
        # which changes once a minute.
        minute = completions_kept_from(now)
        if minute == self._counts_forgotten_before:
            return 0
        self._counts_forgotten_before = minute

        def op(conn: sqlite3.Connection) -> int:
            conn.execute(Q["intent_counts_forget"], {"minute": minute})
            conn.execute(Q["intent_counts_forget_zero"])
            return 0

        return await self._run(op)

    async def worker_seen(self, sighting: WorkerSighting, now: float) -> None:
        key = {"owner": sighting.owner, "worker_id": sighting.worker_id}

        def op(conn: sqlite3.Connection) -> None:
            stored = fetch_rows(conn, "worker_get", key)
            params = upsert_params(sighting, stored[0] if stored else None, now)
            conn.execute(Q["worker_upsert"], params)

        await self._run(op)

    async def worker_list(
        self, owner: str | None, since: float, now: float
    ) -> list[WorkerRecord]:
        def op(conn: sqlite3.Connection) -> list[WorkerRecord]:
            rows = fetch_rows(conn, "worker_list", {"owner": owner, "since": since})
            leases = fetch_rows(conn, "worker_leases", {"now": now})
            return worker_records(rows, leases)

        return await self._run(op)

    async def worker_purge(self, before: float) -> int:
        return await self._purge("worker_purge", {"before": before})

    async def intent_ahead(self, intent_id: str, now: float) -> int:
        params = {"id": intent_id, "now": now}

        def op(conn: sqlite3.Connection) -> int:
            return sum(
                int(fetch_rows(conn, name, params)[0][0])
                for name in ("intent_ahead_private", "intent_ahead_public")
            )

        return await self._run(op)

    async def intent_open_public(self, limit: int) -> list[Intent]:
        params = {"limit": limit}
        return await self._run(
            lambda conn: fetch_intents(conn, "intent_open_public", params)
        )
