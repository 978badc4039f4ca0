"""The wake-up hub: a ticket taken before a look is never missed."""

from __future__ import annotations

import asyncio
import threading

import pytest

from intent_bus.server.wakeup import WakeHub, wait_for_work


@pytest.mark.anyio
async def test_notify_between_ticket_and_wait_is_not_missed() -> None:
    hub = WakeHub()
    ticket = hub.ticket()
    hub.notify()
    assert await wait_for_work(ticket, 5.0, None)
    assert not hub.ticket().is_set()  # later waiters wait for the next notify


@pytest.mark.anyio
async def test_wait_times_out_without_notify() -> None:
    hub = WakeHub()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await wait_for_work(hub.ticket(), 0.05, None)
    assert loop.time() - started >= 0.04


@pytest.mark.anyio
async def test_abandon_stops_the_wait() -> None:
    hub = WakeHub()
    gone: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    gone.set_result(None)
    assert await wait_for_work(hub.ticket(), 5.0, gone) is False


@pytest.mark.anyio
async def test_notify_from_another_thread_wakes_waiters() -> None:
    hub = WakeHub()
    hub.bind(asyncio.get_running_loop())
    ticket = hub.ticket()
    threading.Thread(target=hub.notify_threadsafe).start()
    await asyncio.wait_for(ticket.wait(), 5)
