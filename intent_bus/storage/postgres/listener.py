"""Cross-replica wake-ups: one LISTEN connection per process turns PostgreSQL
notifications on the work channel into calls of the registered callbacks.

A publish, a failed intent that reopens and a requeue send ``NOTIFY`` in their own
transaction, so the notification is delivered exactly when the work becomes
visible (on commit) to every replica. Its payload (`work_payload`) names who could
take the work, so each replica wakes just one matching waiter. A listener that
lost its connection reconnects with backoff and, once back, wakes everybody once
(callbacks get None), because anything published while it was away went unheard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from psycopg import sql

from intent_bus.storage.base import Work

log = logging.getLogger(__name__)

CHANNEL = "intent_bus_work"
"""The channel every replica listens on and every work-making write notifies."""

WorkCallback = Callable[[Work | None], None]


def work_payload(origin: str, work: Work | None) -> str:
    """The NOTIFY payload: compact JSON with the sending process and the work's
    claim-relevant fields, far below PostgreSQL's 8000-byte limit (goal and
    namespace are bounded by the protocol)."""
    if work is None:
        return origin
    fields = [
        work.owner,
        work.namespace,
        work.goal,
        work.visibility,
        work.target_worker,
        work.required_capability,
    ]
    return json.dumps({"o": origin, "w": fields}, separators=(",", ":"))


def parse_payload(payload: str) -> tuple[str, Work | None]:
    """The sender and the work of a payload; a bare origin (lease settling, or
    an older replica) or anything unreadable means "unknown work": wake all."""
    if not payload.startswith("{"):
        return payload, None
    try:
        message = json.loads(payload)
        origin = str(message["o"])
    except (ValueError, KeyError, TypeError):
        return "", None
    try:
        owner, namespace, goal, visibility, target, capability = message["w"]
        work = Work(owner, namespace, goal, visibility, target, capability)
    except (ValueError, KeyError, TypeError):
        return origin, None
    return origin, work


class WorkListener:
    """Runs a dedicated LISTEN connection and calls callbacks on the event loop.

    Notifications whose payload is this process's `origin` are ignored: the
    process that made the work already woke its own waiters. Callbacks are plain
    functions; they run on the loop that started the listener and must not block.
    """

    def __init__(
        self,
        conninfo: str,
        origin: str,
        connect_kwargs: Mapping[str, Any] | None = None,
        retry_max: float = 5.0,
        heartbeat: float = 30.0,
    ) -> None:
        self._conninfo = conninfo
        self._origin = origin
        self._connect_kwargs = dict(connect_kwargs or {})
        self._retry_max = retry_max
        self._heartbeat = heartbeat
        self._callbacks: list[WorkCallback] = []
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def add(self, callback: WorkCallback) -> None:
        self._callbacks.append(callback)

    async def start(self) -> None:
        """Starts listening; returns once the first LISTEN is in place (or failed
        once, in which case the listener keeps retrying in the background)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="intent-bus-listen")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._listening.wait(), timeout=10.0)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _wake(self, work: Work | None) -> None:
        for callback in list(self._callbacks):
            try:
                callback(work)
            except Exception:  # a faulty callback must not kill the listener
                log.exception("work callback failed")

    async def _run(self) -> None:
        delay = 0.1
        first = True
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, **self._connect_kwargs
                )
            except psycopg.Error as exc:
                log.warning("work listener cannot connect (%s); retrying", exc)
                self._listening.set()  # do not hold start() up while the db is away
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            try:
                async with conn:
                    await conn.execute(
                        sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL))
                    )
                    self._listening.set()
                    delay = 0.1
                    if not first:
                        # Whatever was notified while we were away went unheard.
                        self._wake(None)
                    first = False
                    while True:
                        async for notify in conn.notifies(timeout=self._heartbeat):
                            origin, work = parse_payload(notify.payload)
                            if origin != self._origin:
                                self._wake(work)
                        # A silent socket may be a dead one: prove it is alive.
                        await conn.execute("SELECT 1")
            except psycopg.Error as exc:
                log.warning("work listener lost its connection (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
