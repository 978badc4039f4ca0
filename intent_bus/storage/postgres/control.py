"""The PostgreSQL side of the control API's reads and pauses, mixed into
`PostgresStore`: intent search (storage/search.py plans the walk) and pauses,
whose lifting is announced to every replica's listener."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.base import Intent, IntentPage, Pause, Work
from intent_bus.storage.group_stats import (
    GroupStats,
    completions_kept_from,
    completions_since,
    group_stats,
)
from intent_bus.storage.postgres.records import intent_from_row
from intent_bus.storage.search import IntentFilter, pick_page, plan_walk, walk_rows
from intent_bus.storage.workers import (
    WorkerRecord,
    WorkerSighting,
    upsert_params,
    worker_records,
)

Cursor = psycopg.AsyncCursor[DictRow]

_WORKER_COLUMNS = (
    "owner",
    "worker_id",
    "capabilities",
    "goals",
    "namespaces",
    "client_version",
    "last_seen",
)
"""A workers row in the order storage.workers reads it (worker_get, worker_list)."""

_WALK_COLUMNS = (
    "seq",
    "id",
    "owner",
    "status",
    "goal",
    "namespace",
    "worker_id",
    "error",
)


COUNTS_FOLD_LOCK_ID = 0x1B_2024_0009
"""The advisory lock key under which one replica at a time folds count changes."""


def _pause(row: DictRow) -> Pause:
    return Pause(row["owner"], row["namespace"], row["goal"] or None, row["paused_at"])


class PostgresControl:
    """Search and pauses; each method is one transaction."""

    _counts_forgotten_before: int | None = None
    """The minute `intent_counts_fold` last forgot completions before."""

    if TYPE_CHECKING:

        def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...
        async def _notify(self, cur: Cursor, work: Work | None) -> None: ...
        async def _purge(
            self, name: str, params: dict[str, Any], batch: int
        ) -> int: ...

    async def intent_search(self, search: IntentFilter, limit: int) -> IntentPage:
        name, params = plan_walk(search, limit)
        async with self._tx() as cur:
            found = await (await self._run(cur, name, params)).fetchall()
            rows = walk_rows([row[c] for c in _WALK_COLUMNS] for row in found)
            seqs, next_before = pick_page(rows, search, limit, params["scan"])
            if not seqs:
                return IntentPage([], next_before)
            await self._run(cur, "intent_search_fetch", {"seqs": seqs})
            page = [intent_from_row(row) for row in await cur.fetchall()]
        return IntentPage(page, next_before)

    async def pause_set(
        self, owner: str, namespace: str, goal: str | None, now: float
    ) -> Pause:
        params = {
            "owner": owner,
            "namespace": namespace,
            "goal": goal or "",
            "now": now,
        }
        async with self._statement() as cur:
            row = await (await self._run(cur, "pause_set", params)).fetchone()
        assert row is not None
        return _pause(row)

    async def pause_clear(self, owner: str, namespace: str, goal: str | None) -> bool:
        params = {"owner": owner, "namespace": namespace, "goal": goal or ""}
        async with self._tx() as cur:
            lifted = await (await self._run(cur, "pause_clear", params)).fetchone()
            if lifted is not None:
                await self._notify(cur, None)  # every intent it held back
        return lifted is not None

    async def pause_list(self, owner: str | None) -> list[Pause]:
        async with self._statement() as cur:
            rows = await (
                await self._run(cur, "pause_list", {"owner": owner})
            ).fetchall()
        return [_pause(row) for row in rows]

    async def intent_counts_fold(self, now: float) -> int:
        minute = completions_kept_from(now)
        forget = minute != self._counts_forgotten_before
        async with self._tx() as cur:
            lock = {"lock_id": COUNTS_FOLD_LOCK_ID}
            row = await (
                await self._run(cur, "intent_counts_fold_lock", lock)
            ).fetchone()
            if not (row and row["locked"]):
                return 0  # another replica is folding right now
            folded = await (
                await self._run(cur, "intent_counts_fold", {"minute": minute})
            ).fetchone()
            if forget:  # what is forgotten changes once a minute
                await self._run(cur, "intent_counts_forget", {"minute": minute})
                await self._run(cur, "intent_counts_forget_zero", {})
        self._counts_forgotten_before = minute
        return int(folded["folded"]) if folded else 0

    async def intent_group_stats(
        self, owner: str | None, now: float
    ) -> list[GroupStats]:
        params = {"owner": owner, "since": completions_since(now)}
        whose = "all" if owner is None else "owner"
        count_columns = ("owner", "namespace", "goal", "status", "n", "oldest")
        done_columns = ("owner", "namespace", "goal", "minutes")
        async with self._tx() as cur:
            counts = await (
                await self._run(cur, f"intent_group_counts_{whose}", params)
            ).fetchall()
            done = await (
                await self._run(cur, f"intent_group_completions_{whose}", params)
            ).fetchall()
        return group_stats(
            ([row[c] for c in count_columns] for row in counts),
            ([row[c] for c in done_columns] for row in done),
        )

    async def worker_seen(self, sighting: WorkerSighting, now: float) -> None:
        key = {"owner": sighting.owner, "worker_id": sighting.worker_id}
        async with self._tx() as cur:
            row = await (await self._run(cur, "worker_get", key)).fetchone()
            stored = [row[c] for c in _WORKER_COLUMNS] if row else None
            await self._run(cur, "worker_upsert", upsert_params(sighting, stored, now))

    async def worker_list(
        self, owner: str | None, since: float, now: float
    ) -> list[WorkerRecord]:
        async with self._tx() as cur:
            params = {"owner": owner, "since": since}
            rows = await (await self._run(cur, "worker_list", params)).fetchall()
            leases = await (
                await self._run(cur, "worker_leases", {"now": now})
            ).fetchall()
        return worker_records(
            ([row[c] for c in _WORKER_COLUMNS] for row in rows),
            ([r["worker_id"], r["owner"], r["visibility"], r["n"]] for r in leases),
        )

    async def worker_purge(self, before: float) -> int:
        return await self._purge("worker_purge", {"before": before}, 5000)

    async def intent_ahead(self, intent_id: str, now: float) -> int:
        params = {"id": intent_id, "now": now}
        total = 0
        async with self._tx() as cur:
            for name in ("intent_ahead_private", "intent_ahead_public"):
                row = await (await self._run(cur, name, params)).fetchone()
                total += int(row["n"]) if row else 0
        return total

    async def intent_open_public(self, limit: int) -> list[Intent]:
        async with self._statement() as cur:
            params = {"limit": limit}
            rows = await (await self._run(cur, "intent_open_public", params)).fetchall()
        return [intent_from_row(row) for row in rows]
