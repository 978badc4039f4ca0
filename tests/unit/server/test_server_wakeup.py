"""The wake-up hub: a wake taken after joining is never missed, it goes to the
one longest-waiting claimer that could take the work, and a wake its waiter
will not act on is passed on."""

from __future__ import annotations

import asyncio
import threading

import pytest

from intent_bus.server.wakeup import WakeHub, wait_for_wake
from intent_bus.storage.base import ClaimQuery, Work


def private(owner: str = "alice", namespace: str = "default", **kw: str) -> Work:
    return Work(owner, namespace, kw.pop("goal", "g"), "private", **kw)


def public(owner: str = "alice", **kw: str) -> Work:
    return Work(
        owner, kw.pop("namespace", "default"), kw.pop("goal", "g"), "public", **kw
    )


@pytest.mark.anyio
async def test_wake_between_join_and_wait_is_not_missed() -> None:
    hub = WakeHub()
    waiter = hub.join(ClaimQuery("alice", "default"))
    hub.wake(private())
    assert await wait_for_wake(waiter, 5.0, None)
    assert waiter.woken
    assert hub.waiting == 0  # a woken waiter leaves the index at once


@pytest.mark.anyio
async def test_a_woken_waiter_resumes_on_the_next_loop_turn() -> None:
    """The wake resolves what the claimer awaits: one turn of the event loop
    later the claim goes on (each turn adds to an idle pickup's latency)."""
    hub = WakeHub()
    waiter = hub.join(ClaimQuery("alice", "default"))
    waiting = asyncio.ensure_future(wait_for_wake(waiter, 5.0, None))
    await asyncio.sleep(0)  # it is waiting now
    assert not waiting.done()
    hub.wake(private())
    await asyncio.sleep(0)
    assert waiting.done() and waiting.result() is True


@pytest.mark.anyio
async def test_wait_times_out_without_wake() -> None:
    hub = WakeHub()
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiter = hub.join(ClaimQuery("alice", "default"))
    await wait_for_wake(waiter, 0.05, None)
    assert loop.time() - started >= 0.04
    assert not waiter.woken


@pytest.mark.anyio
async def test_abandon_stops_the_wait() -> None:
    hub = WakeHub()
    gone: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    gone.set_result(None)
    waiter = hub.join(ClaimQuery("alice", "default"))
    assert await wait_for_wake(waiter, 5.0, gone) is False


@pytest.mark.anyio
async def test_wake_from_another_thread_wakes_the_waiter() -> None:
    hub = WakeHub()
    hub.bind(asyncio.get_running_loop())
    waiter = hub.join(ClaimQuery("alice", "default"))
    threading.Thread(target=hub.wake_threadsafe, args=(private(),)).start()
    assert await wait_for_wake(waiter, 5.0, None)
    assert waiter.woken


def test_private_work_wakes_only_its_tenant_and_namespace() -> None:
    hub = WakeHub()
    bob = hub.join(ClaimQuery("bob", "default"))
    other_ns = hub.join(ClaimQuery("alice", "other"))
    alice = hub.join(ClaimQuery("alice", "default"))
    hub.wake(private())
    assert (bob.woken, other_ns.woken, alice.woken) == (False, False, True)
    assert hub.wakeups == 1


def test_public_work_wakes_another_tenant_in_any_namespace() -> None:
    hub = WakeHub()
    bob = hub.join(ClaimQuery("bob", "elsewhere"))
    hub.wake(public())
    assert bob.woken


def test_goal_and_publisher_filters_are_respected() -> None:
    hub = WakeHub()
    other_goal = hub.join(ClaimQuery("alice", "default", goal="h"))
    other_publisher = hub.join(ClaimQuery("bob", "default", publisher="carol"))
    same_goal = hub.join(ClaimQuery("bob", "default", goal="g", publisher="alice"))
    hub.wake(public())
    assert (other_goal.woken, other_publisher.woken, same_goal.woken) == (
        False,
        False,
        True,
    )


def test_target_worker_and_capability_route_the_wake() -> None:
    hub = WakeHub()
    plain = hub.join(ClaimQuery("alice", "default"))
    targeted = hub.join(ClaimQuery("alice", "default", worker_id="w-7"))
    able = hub.join(ClaimQuery("alice", "default", capabilities=("gpu", "ssd")))
    hub.wake(private(target_worker="w-7"))
    hub.wake(private(required_capability="gpu"))
    assert (plain.woken, targeted.woken, able.woken) == (False, True, True)


def test_one_wake_per_work_longest_waiting_first() -> None:
    hub = WakeHub()
    waiters = [hub.join(ClaimQuery("alice", "default")) for _ in range(3)]
    with_goal = hub.join(ClaimQuery("alice", "default", goal="g"))
    hub.wake(private())
    assert [w.woken for w in [*waiters, with_goal]] == [True, False, False, False]
    hub.wake(private())
    hub.wake(private())
    hub.wake(private())
    assert all(w.woken for w in [*waiters, with_goal])
    hub.wake(private())  # nobody left: nothing happens
    assert hub.wakeups == 4


def test_a_goal_filtered_older_waiter_goes_before_a_newer_unfiltered_one() -> None:
    hub = WakeHub()
    older = hub.join(ClaimQuery("bob", "default", goal="g"))
    newer = hub.join(ClaimQuery("carol", "default"))
    hub.wake(public())
    assert (older.woken, newer.woken) == (True, False)


def test_leaving_without_looking_passes_the_wake_on() -> None:
    hub = WakeHub()
    first = hub.join(ClaimQuery("alice", "default"))
    second = hub.join(ClaimQuery("alice", "default"))
    hub.wake(private())
    hub.leave(first)  # e.g. its client disconnected
    assert second.woken
    assert hub.waiting == 0


def test_leaving_after_looking_keeps_the_wake() -> None:
    hub = WakeHub()
    first = hub.join(ClaimQuery("alice", "default"))
    second = hub.join(ClaimQuery("alice", "default"))
    hub.wake(private())
    hub.leave(first, looked=True)
    assert not second.woken


def test_unwoken_leave_wakes_nobody() -> None:
    hub = WakeHub()
    first = hub.join(ClaimQuery("alice", "default"))
    second = hub.join(ClaimQuery("alice", "default"))
    hub.leave(first)
    assert not second.woken
    assert hub.waiting == 1


def test_wake_all_wakes_everyone_once_and_is_not_passed_on() -> None:
    hub = WakeHub()
    waiters = [hub.join(ClaimQuery(owner, "default")) for owner in ("a", "b")]
    hub.wake_all()
    assert all(w.woken for w in waiters)
    late = hub.join(ClaimQuery("c", "default"))
    hub.leave(waiters[0])
    assert not late.woken


def test_the_index_holds_no_empty_buckets() -> None:
    hub = WakeHub()
    waiters = [hub.join(ClaimQuery(f"t{i}", "default", goal="g")) for i in range(50)]
    for waiter in waiters:
        hub.leave(waiter)
    assert hub.waiting == 0
    assert not hub._private and not hub._public
