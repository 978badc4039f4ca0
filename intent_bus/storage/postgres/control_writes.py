"""The PostgreSQL side of the control API's writes, mixed into `PostgresStore`:
the dead-letter list and requeue, cancel, reopen, bulk actions and an intent's
event history. Each write that makes work claimable announces it with ``NOTIFY``
in its own transaction, as the core store does.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Literal

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.base import BulkFilter, Intent, IntentEvent, Work, work_of
from intent_bus.storage.completions import settled_refusal
from intent_bus.storage.errors import NotFound
from intent_bus.storage.params import bulk_params, dead_list_params
from intent_bus.storage.postgres.records import intent_from_row

Cursor = psycopg.AsyncCursor[DictRow]


class PostgresControlWrites:
    """Operator writes on intents; each method is one transaction."""

    if TYPE_CHECKING:

        def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...
        async def _notify(self, cur: Cursor, work: Work | None) -> None: ...

    async def intent_list_dead(
        self, owner: str | None, namespace: str | None, limit: int
    ) -> list[Intent]:
        params = dead_list_params(owner, namespace, limit)
        async with self._statement() as cur:
            rows = await (await self._run(cur, "intent_list_dead", params)).fetchall()
        return [intent_from_row(row) for row in rows]

    async def intent_requeue(self, intent_id: str, now: float) -> Intent:
        async with self._tx() as cur:
            params = {"id": intent_id, "now": now}
            row = await (await self._run(cur, "intent_requeue", params)).fetchone()
            if row is not None:
                await self._notify(cur, work_of(intent_from_row(row)))
        if row is None:
            raise NotFound(intent_id)
        return intent_from_row(row)

    # -- control writes -----------------------------------------------------------
    async def intent_cancel(
        self, intent_id: str, owner: str | None, now: float
    ) -> Intent:
        params = {"id": intent_id, "owner": owner, "now": now}
        async with self._tx() as cur:
            # A lease that expired unseen is settled first: its intent is
            # open (cancel it now), or dead already.
            await self._run(cur, "intent_settle_lease", params)
            for name in ("intent_cancel_open", "intent_cancel_claimed"):
                row = await (await self._run(cur, name, params)).fetchone()
                if row is not None:
                    return intent_from_row(row)
            seen = await (await self._run(cur, "intent_visible", params)).fetchone()
        raise settled_refusal(intent_id, intent_from_row(seen) if seen else None)

    async def intent_reopen(
        self, intent_id: str, owner: str | None, now: float
    ) -> Intent:
        params = {"id": intent_id, "owner": owner, "now": now}
        async with self._tx() as cur:
            row = await (await self._run(cur, "intent_reopen", params)).fetchone()
            if row is not None:
                intent = intent_from_row(row)
                await self._notify(cur, work_of(intent))
                return intent
            seen = await (await self._run(cur, "intent_visible", params)).fetchone()
        raise settled_refusal(intent_id, intent_from_row(seen) if seen else None)

    async def intent_bulk_count(self, match: BulkFilter) -> int:
        async with self._statement() as cur:
            row = await (
                await self._run(cur, "intent_bulk_count", bulk_params(match))
            ).fetchone()
        return int(row["n"]) if row else 0

    async def intent_bulk_step(
        self,
        action: Literal["requeue", "cancel"],
        match: BulkFilter,
        now: float,
        limit: int,
    ) -> int:
        params = {**bulk_params(match), "now": now, "limit": limit}
        async with self._tx() as cur:
            await self._run(cur, f"intent_bulk_{action}", params)
            changed = max(cur.rowcount, 0)
            if changed and action == "requeue":
                await self._notify(cur, None)  # many intents: wake every waiter
        return changed

    # -- events -------------------------------------------------------------------
    async def intent_events(
        self, intent_id: str, owner: str | None
    ) -> list[IntentEvent] | None:
        params = {"id": intent_id, "owner": owner}
        async with self._tx() as cur:
            if (
                await (await self._run(cur, "intent_visible", params)).fetchone()
                is None
            ):
                return None
            rows = await (await self._run(cur, "intent_event_list", params)).fetchall()
        return [IntentEvent(**row) for row in rows]
