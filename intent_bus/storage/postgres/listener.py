"""Cross-replica wake-ups: one LISTEN connection per process turns PostgreSQL
notifications on the work channel into calls of the registered callbacks.

A publish, a failed intent that reopens and a requeue send ``NOTIFY`` in their own
transaction, so the notification is delivered exactly when the work becomes
visible (on commit) to every replica. Notifications are a fast path only: a
listener that lost its connection reconnects with backoff and, once back, wakes
everybody once, because anything published while it was away went unheard. The
server's periodic re-check covers the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

CHANNEL = "intent_bus_work"
"""The channel every replica listens on and every work-making write notifies."""


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
        self._callbacks: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def add(self, callback: Callable[[], None]) -> None:
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

    def _wake(self) -> None:
        for callback in list(self._callbacks):
            try:
                callback()
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
                        self._wake()
                    first = False
                    while True:
                        async for notify in conn.notifies(timeout=self._heartbeat):
                            if notify.payload != self._origin:
                                self._wake()
                        # A silent socket may be a dead one: prove it is alive.
                        await conn.execute("SELECT 1")
            except psycopg.Error as exc:
                log.warning("work listener lost its connection (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
