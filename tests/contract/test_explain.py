"""Every explain reason code, on both backends, with an injected clock: the
store holds the facts (intents, pauses, workers registry), server/explain.py
reasons over them at `now`."""

from __future__ import annotations

from typing import Any

import pytest

from intent_bus.server.explain import explain_intent
from intent_bus.server.explain_claim import explain_claim_query
from intent_bus.storage.base import Store
from intent_bus.storage.workers import WorkerSighting
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


def _never(attempts: int, base: float) -> float:
    return 30.0


async def _worker(
    store: Store, at: float, worker_id: str = "w1", **overrides: Any
) -> None:
    fields: dict[str, Any] = {
        "owner": "acme",
        "worker_id": worker_id,
        "capabilities": (),
        "goal": "resize",
        "namespace": "default",
        "client_version": None,
        **overrides,
    }
    await store.worker_seen(WorkerSighting(**fields), at)


async def _explain(
    store: Store, intent_id: str, now: float
) -> tuple[bool, dict[str, Any]]:
    intent = await store.intent_get(intent_id, now)
    assert intent is not None
    claimable_now, reasons = await explain_intent(store, intent, now)
    return claimable_now, {reason["code"]: reason for reason in reasons}


async def test_claimable_with_a_live_worker_has_no_reasons(store: Store) -> None:
    sent = await publish(store)
    await _worker(store, NOW - 5)
    assert await _explain(store, sent.id, NOW) == (True, {})


async def test_delayed(store: Store) -> None:
    sent = await publish(store, run_at=NOW + 300)
    await _worker(store, NOW)
    claimable_now, reasons = await _explain(store, sent.id, NOW)
    assert claimable_now is False and set(reasons) == {"delayed"}
    assert reasons["delayed"]["details"] == {"due_at": NOW + 300}
    assert (await _explain(store, sent.id, NOW + 300))[0] is True


async def test_backoff_after_a_failed_attempt(store: Store) -> None:
    sent = await publish(store)
    took = await claim(store)
    assert took is not None
    await store.intent_fail(sent.id, took.claim_token or "", "boom", _never, NOW)
    await _worker(store, NOW)
    claimable_now, reasons = await _explain(store, sent.id, NOW + 1)
    assert claimable_now is False
    assert reasons["backoff"]["details"] == {
        "attempt": 1,
        "last_error": "boom",
        "due_at": NOW + 30,
    }


async def test_claimed(store: Store) -> None:
    sent = await publish(store)
    assert await claim(store, worker_id="w9") is not None
    claimable_now, reasons = await _explain(store, sent.id, NOW + 1)
    assert claimable_now is False and set(reasons) == {"claimed"}
    assert reasons["claimed"]["details"] == {"worker": "w9", "lease_until": NOW + 60}


async def test_paused(store: Store) -> None:
    sent = await publish(store)
    await _worker(store, NOW)
    await store.pause_set("acme", "default", "resize", NOW)
    claimable_now, reasons = await _explain(store, sent.id, NOW)
    assert claimable_now is False and set(reasons) == {"paused"}
    assert reasons["paused"]["details"] == {"namespace": "default", "goal": "resize"}


async def test_concurrency_limit_of_the_group(store: Store) -> None:
    await publish(store, priority=500)
    sent = await publish(store)
    await _worker(store, NOW)
    await store.limit_set("acme", "default", "resize", 1, None, NOW)
    assert await claim(store) is not None
    claimable_now, reasons = await _explain(store, sent.id, NOW)
    assert claimable_now is False and set(reasons) == {"concurrency_limit"}
    assert reasons["concurrency_limit"]["details"] == {
        "max_running": 1,
        "running": 1,
        "max_per_key": None,
        "concurrency_key": None,
        "running_with_key": None,
    }


async def test_concurrency_limit_of_a_key(store: Store) -> None:
    await publish(store, priority=500, concurrency_key="c1")
    sent = await publish(store, concurrency_key="c1")
    other_key = await publish(store, concurrency_key="c2")
    await _worker(store, NOW)
    await store.limit_set("acme", "default", "resize", 5, 1, NOW)
    assert await claim(store) is not None
    claimable_now, reasons = await _explain(store, sent.id, NOW)
    assert claimable_now is False
    details = reasons["concurrency_limit"]["details"]
    assert (details["concurrency_key"], details["running_with_key"]) == ("c1", 1)
    assert (await _explain(store, other_key.id, NOW))[0] is True


async def test_no_live_worker_says_when_one_last_polled(store: Store) -> None:
    sent = await publish(store)
    never = await _explain(store, sent.id, NOW)
    assert never[1]["no_live_worker"]["details"] == {
        "last_seen": None,
        "last_worker": None,
    }
    await _worker(store, NOW - 120)
    await _worker(store, NOW - 1, "elsewhere", namespace="jobs")
    claimable_now, reasons = await _explain(store, sent.id, NOW)
    assert claimable_now is True  # a worker that comes would take it
    assert reasons["no_live_worker"]["details"] == {
        "last_seen": NOW - 120,
        "last_worker": "w1",
    }
    assert "'w1' last did at" in reasons["no_live_worker"]["message"]


async def test_capability_missing_lists_what_live_workers_offer(store: Store) -> None:
    sent = await publish(store, required_capability="gpu")
    await _worker(store, NOW, capabilities=("cpu", "ssd"))
    _, reasons = await _explain(store, sent.id, NOW)
    assert reasons["capability_missing"]["details"] == {
        "required": "gpu",
        "offered": ["cpu", "ssd"],
    }
    await _worker(store, NOW, "w2", capabilities=("gpu",))
    assert "capability_missing" not in (await _explain(store, sent.id, NOW))[1]


async def test_target_worker_offline(store: Store) -> None:
    sent = await publish(store, target_worker="w7")
    await _worker(store, NOW)
    _, never = await _explain(store, sent.id, NOW)
    assert never["target_worker_offline"]["details"] == {
        "target": "w7",
        "last_seen": None,
    }
    await _worker(store, NOW - 700, "w7")
    _, gone = await _explain(store, sent.id, NOW)
    assert gone["target_worker_offline"]["details"]["last_seen"] == NOW - 700
    await _worker(store, NOW, "w7")
    assert "target_worker_offline" not in (await _explain(store, sent.id, NOW))[1]


async def test_behind_in_queue_counts_eligible_intents_first(store: Store) -> None:
    await publish(store, priority=500)
    await publish(store, priority=100, run_at=NOW - 5)
    await publish(store, visibility="public", priority=900, namespace="x", owner="z")
    await publish(store, priority=900, run_at=NOW + 60)  # not due: not ahead
    sent = await publish(store, priority=100)
    await publish(store, priority=100)  # after it
    await _worker(store, NOW)
    claimable_now, reasons = await _explain(store, sent.id, NOW)
    assert claimable_now is True and set(reasons) == {"behind_in_queue"}
    assert reasons["behind_in_queue"]["details"] == {"ahead": 3}
    assert isinstance(reasons["behind_in_queue"]["message"], str)


async def test_terminal_codes(store: Store) -> None:
    done = await publish(store)
    took = await claim(store, claimer())
    assert took is not None and took.id == done.id
    await store.intent_fulfill(done.id, took.claim_token or "", None, "json", NOW)
    dead = await publish(store, max_attempts=1)
    took = await claim(store)
    assert took is not None and took.id == dead.id
    await store.intent_fail(dead.id, took.claim_token or "", "no disk", _never, NOW)

    assert await _explain(store, done.id, NOW) == (
        False,
        {
            "fulfilled": {
                "code": "fulfilled",
                "message": "Fulfilled: a worker completed it.",
                "details": {},
            }
        },
    )
    _, reasons = await _explain(store, dead.id, NOW)
    assert reasons["dead"]["details"] == {"last_error": "no disk"}


async def test_explain_claim_groups_every_code(store: Store) -> None:
    await publish(store)  # claimable
    await publish(store, namespace="jobs")  # other_namespace
    await publish(store, run_at=NOW + 40)  # delayed
    await publish(store, run_at=NOW + 20)  # delayed, the earliest
    await publish(store, target_worker="w2")  # targeted_elsewhere
    await publish(store, required_capability="gpu")  # capability_missing
    await publish(store, goal="email")  # paused below
    await publish(store, owner="other")  # another tenant's private: unseen
    await publish(store, goal="render", priority=900)  # claimed below
    await publish(store, goal="render")  # concurrency_limit
    await store.pause_set("acme", "default", "email", NOW)
    await store.limit_set("acme", "default", "render", 1, None, NOW)
    assert await claim(store, claimer(goal="render")) is not None
    query = claimer(worker_id="w1", capabilities=("cpu",))

    claimable, groups = await explain_claim_query(store, query, NOW)

    by_code = {group["code"]: group for group in groups}
    assert claimable == 1
    assert {code: g["count"] for code, g in by_code.items()} == {
        "other_namespace": 1,
        "delayed": 2,
        "targeted_elsewhere": 1,
        "capability_missing": 1,
        "paused": 1,
        "concurrency_limit": 1,
    }
    assert by_code["delayed"]["details"] == {"until": NOW + 20}
    assert by_code["concurrency_limit"]["details"] == {
        "namespace": "default",
        "goal": "render",
        "max_running": 1,
        "running": 1,
        "max_per_key": None,
    }
    assert by_code["capability_missing"]["details"] == {"capability": "gpu"}
    took = await claim(store, query, worker_id="w1")
    assert took is not None  # explaining claimed nothing; the one is still there
    assert await claim(store, query, worker_id="w1") is None


async def test_explain_claim_on_nothing_says_none_open(store: Store) -> None:
    assert await explain_claim_query(store, claimer(), NOW) == (
        0,
        [
            {
                "code": "none_open",
                "message": "There is no open intent this claim could see.",
                "count": 0,
                "details": {},
            }
        ],
    )
