"""Wakes the one long-polling claimer that could take work that just appeared.

Anything that makes an intent claimable (publish, a failure that reopens it, a
requeue, or another replica's notification through `Store.on_work`) calls
`wake(work)`: the longest-waiting claimer whose filters match that intent is
woken, and nobody else. Waiters are indexed by what they could take, so a wake
costs the few waiters looked at, never all of them: a tenant's idle workers do
not slow another tenant down. Where the work is unknown (lease reaping, a
listener that lost notifications) `wake_all` wakes every waiter once.

A claimer `join`s *before* its claim attempt and waits afterwards, so a wake
landing between the attempt and the wait is never missed. A woken waiter that
then does not look again (it claimed something else, its client went away, its
wait ended) hands its wake on to the next matching waiter when it `leave`s.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Iterable
from typing import Any

from intent_bus import protocol
from intent_bus.storage.base import ClaimQuery, Work

Bucket = dict[int, "Waiter"]
"""Waiters by join order; dicts keep insertion order, so the first is the oldest."""


class Waiter:
    """One long-poll claimer between `join` and `leave`."""

    __slots__ = ("future", "query", "seq", "woken", "work")

    def __init__(self, query: ClaimQuery, seq: int) -> None:
        self.query = query
        self.seq = seq
        self.future: asyncio.Future[None] | None = None
        """What `wait_for_wake` awaits, while it waits."""
        self.woken = False
        self.work: Work | None = None
        """What it was woken for (None: a wake of everybody), to pass on."""

    def takes(self, work: Work) -> bool:
        """Whether a claim with this waiter's filters could lease that work;
        mirrors the claim query's WHERE clause."""
        query = self.query
        if work.visibility == protocol.VISIBILITY_PRIVATE and (
            work.owner != query.owner or work.namespace != query.namespace
        ):
            return False
        return (
            (query.goal is None or query.goal == work.goal)
            and (query.publisher is None or query.publisher == work.owner)
            and (work.target_worker is None or work.target_worker == query.worker_id)
            and (
                work.required_capability is None
                or work.required_capability in query.capabilities
            )
        )


class WakeHub:
    """Waiters indexed by visibility scope and goal; wakes one per unit of work."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seq = itertools.count()
        self._waiters: Bucket = {}
        self._private: dict[tuple[str, str, str | None], Bucket] = {}
        self._public: dict[str | None, Bucket] = {}
        self.wakeups = 0
        """Waiters woken so far (for /metrics and tests)."""

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remembers the loop so other threads can wake waiters safely."""
        self._loop = loop

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def join(self, query: ClaimQuery) -> Waiter:
        """Registers a claimer; do it before looking for work."""
        waiter = Waiter(query, next(self._seq))
        self._waiters[waiter.seq] = waiter
        scope = (query.owner, query.namespace, query.goal)
        self._private.setdefault(scope, {})[waiter.seq] = waiter
        self._public.setdefault(query.goal, {})[waiter.seq] = waiter
        return waiter

    def leave(self, waiter: Waiter, *, looked: bool = False) -> None:
        """Unregisters a claimer. A wake it got and did not act on (`looked`
        false: it will not look for work again) goes to the next waiter."""
        self._drop(waiter)
        # A wake of everybody needs no passing on: every waiter got it.
        if waiter.woken and not looked and waiter.work is not None:
            waiter.woken = False
            self.wake(waiter.work)

    def wake(self, work: Work) -> None:
        """Wakes the longest-waiting claimer that could take `work`, if any."""
        if work.visibility == protocol.VISIBILITY_PRIVATE:
            scope = (work.owner, work.namespace)
            buckets = [
                self._private.get((*scope, work.goal)),
                self._private.get((*scope, None)),
            ]
        else:
            buckets = [self._public.get(work.goal), self._public.get(None)]
        chosen: Waiter | None = None
        for bucket in buckets:
            first = _first_taker(bucket.values() if bucket else (), work)
            if first is not None and (chosen is None or first.seq < chosen.seq):
                chosen = first
        if chosen is not None:
            self._set(chosen, work)

    def wake_all(self) -> None:
        """Wakes every waiter once: for work whose details are unknown."""
        for waiter in list(self._waiters.values()):
            self._set(waiter, None)

    def wake_threadsafe(self, work: Work | None) -> None:
        """`wake` (or `wake_all` for None) from a callback that may run
        outside the event loop's thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(work)
        else:
            loop.call_soon_threadsafe(self._deliver, work)

    def _deliver(self, work: Work | None) -> None:
        if work is None:
            self.wake_all()
        else:
            self.wake(work)

    def _set(self, waiter: Waiter, work: Work | None) -> None:
        # A woken waiter leaves the index at once, so the next wake picks
        # another: each unit of work wakes one claimer.
        self._drop(waiter)
        waiter.woken = True
        waiter.work = work
        _resolve(waiter.future)
        self.wakeups += 1

    def _drop(self, waiter: Waiter) -> None:
        if self._waiters.pop(waiter.seq, None) is None:
            return
        query = waiter.query
        _discard(self._private, (query.owner, query.namespace, query.goal), waiter)
        _discard(self._public, query.goal, waiter)


def _first_taker(waiters: Iterable[Waiter], work: Work) -> Waiter | None:
    for waiter in waiters:
        if waiter.takes(work):
            return waiter
    return None


def _discard(index: dict[Any, Bucket], key: object, waiter: Waiter) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.pop(waiter.seq, None)
        if not bucket:
            del index[key]


def _resolve(future: asyncio.Future[None] | None, *_: object) -> None:
    if future is not None and not future.done():
        future.set_result(None)


async def wait_for_wake(
    waiter: Waiter, timeout: float, abandon: asyncio.Future[object] | None
) -> bool:
    """Waits until the waiter is woken or `timeout` passes; returns False early
    (without waiting further) once `abandon` completes, e.g. on disconnect.

    A wake, the timer and `abandon` all resolve one plain future, so a woken
    claimer runs again on the next turn of the event loop: no task per wait
    and no `asyncio.wait` between the wake and the claim (each costs a turn of
    the loop, and a turn is a share of an idle pickup's latency)."""
    if waiter.woken or timeout <= 0:
        if abandon is not None:
            # Let a disconnect that already happened be seen, so a gone
            # client's wake is passed on rather than acted on for nobody.
            await asyncio.sleep(0)
        return abandon is None or not abandon.done()
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    waiter.future = future
    resolve = functools.partial(_resolve, future)
    timer = loop.call_later(timeout, resolve)
    if abandon is not None:
        abandon.add_done_callback(resolve)
    try:
        await future
    finally:
        waiter.future = None
        timer.cancel()
        if abandon is not None:
            abandon.remove_done_callback(resolve)
    return abandon is None or not abandon.done()
