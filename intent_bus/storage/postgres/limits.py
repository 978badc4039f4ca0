"""The PostgreSQL side of concurrency limits, mixed into `PostgresStore`: the
limits themselves, their running counts, and the locked second look a claim
takes when the best intent it found has a limit.

Why a lock: two replicas claiming at once each count the running intents in
their own snapshot, and both could take the last slot. A claim whose best
intent is limited therefore locks the limits it could meet (one order, so
claimers never deadlock) and looks again in a fresh snapshot, which sees every
claim committed by whoever held the lock before (`intent_claim_limited`, which
counts). Claims that meet no limit never take this path, and their first look
(`intent_claim`) counts nothing: it costs what it did before limits. The
second look is not prepared (prepared.py): it is rare, and its optional
filters need a plan made with the values.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Final

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.base import Intent, Poll, Work
from intent_bus.storage.errors import NotFound
from intent_bus.storage.limits import ConcurrencyLimit, LimitUsage, RunningCount
from intent_bus.storage.params import group_params, limit_params
from intent_bus.storage.postgres.records import intent_from_row

Cursor = psycopg.AsyncCursor[DictRow]

FREED_ORIGIN: Final = "slot-freed"
"""The NOTIFY payload of a freed slot: a bare origin that no process has, so
every replica (the sender's too) wakes all its claimers once."""


def _limit(row: DictRow) -> ConcurrencyLimit:
    return ConcurrencyLimit(
        owner=row["owner"],
        namespace=row["namespace"],
        goal=row["goal"],
        max_running=row["max_running"],
        max_per_key=row["max_per_key"],
        updated_at=row["updated_at"],
        running=int(row["running"]),
    )


class PostgresLimits:
    """Limits, their counts, and the locked claim; each method one transaction."""

    if TYPE_CHECKING:

        def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...
        async def _notify(self, cur: Cursor, work: Work | None) -> None: ...

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
        async with self._tx() as cur:
            await self._run(cur, "limit_set", params)
            rows = await (await self._run(cur, "limit_list", params)).fetchall()
            await self._notify(cur, None)  # a raised limit lets waiting work run
        return next(
            _limit(r) for r in rows if (r["namespace"], r["goal"]) == (namespace, goal)
        )

    async def limit_clear(self, owner: str, namespace: str, goal: str) -> None:
        async with self._tx() as cur:
            await self._run(cur, "limit_clear", group_params(owner, namespace, goal))
            if await cur.fetchone() is None:
                raise NotFound("limit not found")
            await self._notify(cur, None)  # what the limit held back may run

    async def limit_list(self, owner: str | None) -> list[ConcurrencyLimit]:
        async with self._statement() as cur:
            rows = await (
                await self._run(cur, "limit_list", {"owner": owner})
            ).fetchall()
        return [_limit(row) for row in rows]

    async def limit_usage(self, owner: str | None) -> LimitUsage:
        params = {"owner": owner}
        async with self._tx() as cur:
            limits = await (await self._run(cur, "limit_list", params)).fetchall()
            counts = await (await self._run(cur, "limit_running", params)).fetchall()
        return LimitUsage.of(
            (_limit(row) for row in limits),
            (
                RunningCount(
                    r["owner"],
                    r["namespace"],
                    r["goal"],
                    r["concurrency_key"],
                    int(r["running"]),
                )
                for r in counts
            ),
        )

    async def _claim_locked(
        self, params: dict[str, Any], next_due: float | None
    ) -> Poll:
        """The second look of a claim whose best intent is limited: with the
        limits locked, the claim's fresh snapshot counts exactly."""
        async with self._tx() as cur:
            await self._run(cur, "limit_lock_for_claim", params)
            row = await (
                await self._run(cur, "intent_claim_limited", params)
            ).fetchone()
        if row is None:
            return Poll(None, next_due)
        return Poll(intent_from_row(row), checkpoint=row["checkpoint"])

    async def _free_slot(self, cur: Cursor, intent: Intent) -> None:
        """Wakes every replica's claimers if the intent's lease held a slot."""
        params = {
            **group_params(intent.owner, intent.namespace, intent.goal),
            "freed_origin": FREED_ORIGIN,
        }
        await self._run(cur, "limit_freed_notify", params)
