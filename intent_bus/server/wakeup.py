"""Wakes long-polling claimers the moment work may have become available.

Anything that makes an intent claimable (publish, a failure that reopens it,
a requeue, reaping an expired lease, or another replica's notification through
`Store.on_work`) calls `notify()`. Waiters take a `ticket()` *before* their claim
attempt and wait on it afterwards, so a publish landing between the failed
claim and the wait is never missed.
"""

from __future__ import annotations

import asyncio


class WakeHub:
    """A broadcast edge: every notify releases everyone waiting at that moment."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remembers the loop so other threads can notify safely."""
        self._loop = loop

    def ticket(self) -> asyncio.Event:
        """The event the next notify will set; take it before checking for work."""
        return self._event

    def notify(self) -> None:
        """Releases all current waiters; later waiters get a fresh event."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    def notify_threadsafe(self) -> None:
        """`notify` for callbacks that may run outside the event loop's thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.notify()
        else:
            loop.call_soon_threadsafe(self.notify)


async def wait_for_work(
    ticket: asyncio.Event, timeout: float, abandon: asyncio.Future[object] | None
) -> bool:
    """Waits until the ticket is set or `timeout` passes; returns False early
    (without waiting further) once `abandon` completes, e.g. on disconnect."""
    if ticket.is_set() or timeout <= 0:
        return True
    woken = asyncio.ensure_future(ticket.wait())
    waiting: set[asyncio.Future[object]] = {woken}  # type: ignore[arg-type]
    if abandon is not None:
        waiting.add(abandon)
    try:
        await asyncio.wait(waiting, timeout=timeout, return_when="FIRST_COMPLETED")
    finally:
        woken.cancel()
    return abandon is None or not abandon.done()
