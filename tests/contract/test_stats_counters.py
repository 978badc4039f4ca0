"""Contract: the counters GET /stats reads stay exact through every kind of
change: publish, claim, fulfil, retry, death, lease expiry, cancel (open and
claimed), reopen, requeue, bulk actions and retention. After each step they are
compared, before and after housekeeping folds them, with a COUNT(*) over the
intents table itself."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

import psycopg
import pytest

from intent_bus.storage.base import BulkFilter, Intent, Store
from intent_bus.storage.group_stats import completions_since
from intent_bus.storage.sqlite.url import path_from_url
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio

TRUTH = """
SELECT owner, namespace, goal, status, COUNT(*)
FROM intents GROUP BY owner, namespace, goal, status
"""
DONE = """
SELECT owner, namespace, goal, completed_at FROM intents
WHERE status = 'fulfilled'
"""

Counts = Counter[tuple[str, str, str, str]]


def _query(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    if db_url.startswith("sqlite:"):
        with sqlite3.connect(path_from_url(db_url)) as conn:
            return conn.execute(sql).fetchall()
    with psycopg.connect(db_url.split("?")[0]) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def truth(db_url: str, now: float) -> tuple[Counts, Counter[tuple[str, str, str]]]:
    """Counts per group and status, and completions of the last hour per group."""
    counts = Counter({tuple(row[:4]): int(row[4]) for row in _query(db_url, TRUTH)})
    since = completions_since(now)
    done = Counter(
        tuple(row[:3])
        for row in _query(db_url, DONE)
        if since <= float(row[3]) < since + 3600
    )
    return counts, done  # type: ignore[return-value]


async def check(store: Store, db_url: str, now: float) -> None:
    expected, expected_done = truth(db_url, now)
    groups = await store.intent_group_stats(None, now)
    counted: Counts = Counter()
    done: Counter[tuple[str, str, str]] = Counter()
    for g in groups:
        assert any(g.counts.values()), g  # a group with no intents is not listed
        for status, n in g.counts.items():
            if n:
                counted[(g.owner, g.namespace, g.goal, status)] = n
        if sum(g.completions):
            done[(g.owner, g.namespace, g.goal)] = sum(g.completions)
    assert counted == expected
    assert done == expected_done
    for owner in {key[0] for key in expected}:
        mine = await store.intent_group_stats(owner, now)
        assert mine == [g for g in groups if g.owner == owner]
    queue = await store.intent_stats(now)
    by_status: Counter[str] = Counter()
    for (_, _, _, status), n in expected.items():
        by_status[status] += n
    assert {s: n for s, n in queue.by_status.items() if n} == dict(by_status)


async def check_folded(store: Store, db_url: str, now: float) -> None:
    """Exact with changes pending, and again once housekeeping folded them."""
    await check(store, db_url, now)
    await store.intent_counts_fold(now)
    await check(store, db_url, now)


def no_delay(attempts: int, base: float) -> float:
    return 0.0


async def take(store: Store, goal: str, now: float, **kw: Any) -> Intent:
    namespace = "billing" if goal == "email" else "default"
    got = await claim(store, claimer(goal=goal, namespace=namespace), now=now, **kw)
    assert got is not None and got.claim_token
    return got


async def test_counters_match_the_intents_through_every_change(
    store: Store, db_url: str
) -> None:
    t = NOW
    for i in range(6):
        await publish(store, goal="resize", created_at=t - 100 + i)
    await publish(store, goal="email", namespace="billing", max_attempts=1)
    await publish(store, goal="email", namespace="billing", max_attempts=1)
    await publish(store, goal="resize", owner="bob")
    await check_folded(store, db_url, t)

    # Claim, fulfil (a completion this minute), fail with a retry, fail to death.
    done = await take(store, "resize", t)
    await store.intent_fulfill(done.id, done.claim_token or "", None, "json", t + 1)
    again = await take(store, "resize", t)
    await store.intent_fail(again.id, again.claim_token or "", "e", no_delay, t + 1)
    await check(store, db_url, t + 2)
    dead = await take(store, "email", t, expires_at=t + 600)
    await store.intent_fail(dead.id, dead.claim_token or "", "boom", no_delay, t + 2)
    await check_folded(store, db_url, t + 2)

    # A lease extended, then leases expiring (reaped; and settled by a read).
    held = await take(store, "resize", t + 3, expires_at=t + 10)
    await store.intent_extend(held.id, held.claim_token or "", t + 20, t + 4)
    await check(store, db_url, t + 5)
    assert await store.intent_reap(t + 30) == 1
    lapsed = await take(store, "resize", t + 31, expires_at=t + 40)
    assert (await store.intent_get(lapsed.id, t + 50)) is not None
    await check_folded(store, db_url, t + 50)

    # Cancels: an open one at once; a claimed one when its holder completes.
    opened = await publish(store, goal="resize", owner="bob", created_at=t + 51)
    await store.intent_cancel(opened.id, None, t + 52)
    asked = await take(store, "email", t + 53)
    await store.intent_cancel(asked.id, "acme", t + 54)
    await check(store, db_url, t + 55)
    await store.intent_fulfill(asked.id, asked.claim_token or "", None, "json", t + 56)
    await check_folded(store, db_url, t + 57)

    # Reopening and requeueing the dead and the cancelled.
    await store.intent_reopen(asked.id, None, t + 60)
    await store.intent_requeue(dead.id, t + 61)
    await check_folded(store, db_url, t + 62)

    # Bulk: cancel open intents in batches; requeue the dead.
    for _ in range(2):
        doomed = await take(store, "email", t + 63, expires_at=t + 600)
        token = doomed.claim_token or ""
        await store.intent_fail(doomed.id, token, "boom", no_delay, t + 64)
    cancelled = await store.intent_bulk_step(
        "cancel", BulkFilter("open", owner="acme"), t + 70, 3
    )
    assert cancelled == 3
    await check(store, db_url, t + 71)
    await store.intent_bulk_step("cancel", BulkFilter("open"), t + 72, 500)
    await check(store, db_url, t + 72)
    assert await store.intent_bulk_step("requeue", BulkFilter("dead"), t + 73, 9) == 2
    await check_folded(store, db_url, t + 74)

    # More completions, over several minutes; then an hour later.
    for minute in range(3):
        await publish(store, goal="resize", created_at=t + 75, run_at=t + 75)
        got = await take(store, "resize", t + 80 + 60 * minute)
        now = t + 81 + 60 * minute
        await store.intent_fulfill(got.id, got.claim_token or "", None, "json", now)
    await check(store, db_url, t + 260)
    await check_folded(store, db_url, t + 3700)

    # Retention: everything terminal goes, in batches, and the groups it empties.
    await store.intent_purge(t + 10_000)
    await check(store, db_url, t + 10_000)
    await store.intent_bulk_step("cancel", BulkFilter("open"), t + 10_001, 500)
    await store.intent_purge(t + 20_000)
    await check_folded(store, db_url, t + 20_000)
    assert await store.intent_group_stats(None, t + 20_000) == []


async def test_folding_twice_or_with_nothing_pending_changes_nothing(
    store: Store, db_url: str
) -> None:
    await publish(store)
    await store.intent_counts_fold(NOW)
    await store.intent_counts_fold(NOW)
    got = await take(store, "resize", NOW)
    await store.intent_fulfill(got.id, got.claim_token or "", None, "json", NOW)
    await store.intent_counts_fold(NOW)
    await check_folded(store, db_url, NOW)
