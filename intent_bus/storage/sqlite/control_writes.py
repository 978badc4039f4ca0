"""The SQLite side of the control API's writes, mixed into `SqliteStore`: the
dead-letter list and requeue, cancel, reopen, bulk actions and an intent's event
history. Writes run on the store's writer thread; counts and histories read a
snapshot beside it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, TypeVar

from intent_bus.storage.base import BulkFilter, Intent, IntentEvent
from intent_bus.storage.completions import settled_refusal
from intent_bus.storage.errors import NotFound
from intent_bus.storage.params import bulk_params, dead_list_params
from intent_bus.storage.sqlite.records import Q, fetch_intents, fetch_rows, first

T = TypeVar("T")


class SqliteControlWrites:
    """Operator writes on intents; every write is one writer operation."""

    if TYPE_CHECKING:

        async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T: ...
        async def _read_snapshot(
            self, operation: Callable[[sqlite3.Connection], T]
        ) -> T: ...

    async def intent_list_dead(
        self, owner: str | None, namespace: str | None, limit: int
    ) -> list[Intent]:
        params = dead_list_params(owner, namespace, limit)

        def op(conn: sqlite3.Connection) -> list[Intent]:
            return fetch_intents(conn, "intent_list_dead", params)

        return await self._run(op)

    async def intent_requeue(self, intent_id: str, now: float) -> Intent:
        def op(conn: sqlite3.Connection) -> Intent:
            requeued = fetch_intents(
                conn, "intent_requeue", {"id": intent_id, "now": now}
            )
            if not requeued:
                raise NotFound(f"no dead intent {intent_id!r}")
            return requeued[0]

        return await self._run(op)

    # -- control writes -----------------------------------------------------------
    async def intent_cancel(
        self, intent_id: str, owner: str | None, now: float
    ) -> Intent:
        params = {"id": intent_id, "owner": owner, "now": now}

        def op(conn: sqlite3.Connection) -> Intent:
            # A lease that expired unseen is settled first: its intent is
            # open (cancel it now), or dead already.
            conn.execute(Q["intent_settle_lease"], params)
            for name in ("intent_cancel_open", "intent_cancel_claimed"):
                done = fetch_intents(conn, name, params)
                if done:
                    return done[0]
            raise settled_refusal(
                intent_id, first(fetch_intents(conn, "intent_visible", params))
            )

        return await self._run(op)

    async def intent_reopen(
        self, intent_id: str, owner: str | None, now: float
    ) -> Intent:
        params = {"id": intent_id, "owner": owner, "now": now}

        def op(conn: sqlite3.Connection) -> Intent:
            done = fetch_intents(conn, "intent_reopen", params)
            if done:
                return done[0]
            raise settled_refusal(
                intent_id, first(fetch_intents(conn, "intent_visible", params))
            )

        return await self._run(op)

    async def intent_bulk_count(self, match: BulkFilter) -> int:
        params = bulk_params(match)
        return await self._read_snapshot(
            lambda conn: int(fetch_rows(conn, "intent_bulk_count", params)[0][0])
        )

    async def intent_bulk_step(
        self,
        action: Literal["requeue", "cancel"],
        match: BulkFilter,
        now: float,
        limit: int,
    ) -> int:
        params = {**bulk_params(match), "now": now, "limit": limit}
        name = f"intent_bulk_{action}"
        return await self._run(lambda conn: conn.execute(Q[name], params).rowcount)

    # -- events -------------------------------------------------------------------
    async def intent_events(
        self, intent_id: str, owner: str | None
    ) -> list[IntentEvent] | None:
        params = {"id": intent_id, "owner": owner}

        def op(conn: sqlite3.Connection) -> list[IntentEvent] | None:
            if not fetch_rows(conn, "intent_visible", params):
                return None
            rows = fetch_rows(conn, "intent_event_list", params)
            return [IntentEvent(*row) for row in rows]

        return await self._read_snapshot(op)
