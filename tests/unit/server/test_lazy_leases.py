"""A batch claim draws a lease (its token) only when the store takes it.

An idle worker with N free slots claims with max=N and is usually answered
with one intent; drawing N tokens for it put N-1 wasted draws on the path of
every idle pickup.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

from intent_bus.server.routes.leases import LazyLeases
from intent_bus.storage.base import ClaimQuery, Lease, NewIntent
from intent_bus.storage.sqlite import SqliteStore

NOW = 1_700_000_000.0
ACME = ClaimQuery(owner="acme", namespace="default")


def counting_leases(count: int) -> tuple[LazyLeases, list[Lease]]:
    made: list[Lease] = []

    def make() -> Lease:
        made.append(Lease(uuid.uuid4().hex, NOW + 60, "w1"))
        return made[-1]

    return LazyLeases(count, make), made


def test_leases_are_made_once_each_on_first_access() -> None:
    leases, made = counting_leases(5)
    assert len(leases) == 5 and made == []
    first = leases[0]
    assert leases[0] is first and made == [first]
    assert leases[-1] is made[-1] and len(made) == 5
    assert list(leases) == made and leases[1:3] == made[1:3]
    with pytest.raises(IndexError):
        leases[5]


@pytest.mark.anyio
async def test_sqlite_batch_claim_of_one_intent_draws_two_leases_not_all() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "db.sqlite"))
        await store.start()
        try:
            new = NewIntent(
                uuid.uuid4().hex, "acme", "g", b"{}", "default", "private", 100,
                NOW, NOW, 3, 5.0,
            )  # fmt: skip
            await store.intent_publish(new, None, NOW)
            leases, made = counting_leases(32)
            polled = await store.intent_poll_many(ACME, leases, NOW)
        finally:
            await store.close()
    assert [intent.id for intent in polled.intents] == [new.id]
    assert polled.intents[0].claim_token == made[0].claim_token
    # The one it leased, and the one whose claim found nothing and ended it.
    assert len(made) == 2
