"""Contract: per (owner, namespace, goal) counts by status, the oldest open
intent, and completions per minute over the last hour (injected clock)."""

from __future__ import annotations

import pytest

from intent_bus import protocol
from intent_bus.storage.base import Store
from intent_bus.storage.group_stats import COMPLETION_MINUTES
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


async def _fulfill(store: Store, goal: str, at: float) -> None:
    await publish(store, goal=goal, created_at=at - 1, run_at=at - 1)
    took = await claim(store, claimer(goal=goal), now=at)
    assert took is not None
    await store.intent_fulfill(took.id, took.claim_token or "", None, "json", at)


async def test_counts_oldest_open_and_completions_per_group(store: Store) -> None:
    # NOW sits 20 s into its minute; the last bucket is that minute.
    minute = NOW - NOW % 60
    await publish(store, goal="email", created_at=NOW - 500)
    await publish(store, goal="email", created_at=NOW - 100)
    await publish(store, goal="email", namespace="billing", created_at=NOW - 7)
    await publish(store, goal="email", owner="other", created_at=NOW - 9)
    await _fulfill(store, "resize", minute + 1)  # the current minute
    await _fulfill(store, "resize", minute + 2)
    await _fulfill(store, "resize", minute - 60 * 5 + 3)  # five minutes ago
    await _fulfill(store, "resize", minute - 60 * 60)  # over an hour ago: not shown

    groups = {
        (g.owner, g.namespace, g.goal): g
        for g in await store.intent_group_stats("acme", minute + 30)
    }

    assert set(groups) == {
        ("acme", "default", "email"),
        ("acme", "billing", "email"),
        ("acme", "default", "resize"),
    }
    email = groups[("acme", "default", "email")]
    assert email.counts == {**dict.fromkeys(protocol.STATUSES, 0), "open": 2}
    assert email.oldest_open_created_at == NOW - 500
    assert email.completions == [0] * COMPLETION_MINUTES
    resize = groups[("acme", "default", "resize")]
    assert resize.counts["fulfilled"] == 4 and resize.oldest_open_created_at is None
    assert len(resize.completions) == COMPLETION_MINUTES
    assert resize.completions[-1] == 2
    assert resize.completions[-6] == 1
    assert sum(resize.completions) == 3


async def test_all_owners_when_none_is_named(store: Store) -> None:
    await publish(store)
    await publish(store, owner="other")
    groups = await store.intent_group_stats(None, NOW)
    assert [(g.owner, g.counts["open"]) for g in groups] == [("acme", 1), ("other", 1)]
    assert await store.intent_group_stats("nobody", NOW) == []
