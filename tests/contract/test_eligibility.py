"""Contract: the claim SQL and the eligibility predicate (storage/eligibility.py,
which explain reasons with) agree: over generated intents, pauses, concurrency
limits and claim queries, every claim takes exactly the best intent the
predicate calls claimable, and nothing when it calls none claimable."""

from __future__ import annotations

import itertools
import random

import pytest

from intent_bus.storage.base import ClaimQuery, Intent, Store
from intent_bus.storage.eligibility import claim_order, claimable, pause_keys
from tests.contract.conftest import NOW, claim, publish

pytestmark = pytest.mark.anyio

QUERIES = [
    ClaimQuery(
        owner=owner,
        namespace=namespace,
        goal=goal,
        publisher=publisher,
        worker_id=worker,
        capabilities=caps,
    )
    for owner, namespace, goal, publisher, worker, caps in itertools.product(
        ("acme", "other"),
        ("default", "jobs"),
        (None, "a"),
        (None, "acme"),
        (None, "w1"),
        ((), ("gpu",)),
    )
]


@pytest.mark.parametrize("seed", [1, 2])
async def test_claims_take_the_best_intent_the_predicate_allows(
    store: Store, seed: int
) -> None:
    rng = random.Random(seed)
    seqs: dict[str, int] = {}
    for seq in range(60):
        sent = await publish(
            store,
            owner=rng.choice(("acme", "other")),
            namespace=rng.choice(("default", "jobs")),
            visibility=rng.choice(("private", "public")),
            goal=rng.choice(("a", "b")),
            priority=rng.choice((0, 100, 500)),
            run_at=NOW + rng.choice((-10.0, 0.0, 50.0)),
            target_worker=rng.choice((None, None, "w1", "w2")),
            required_capability=rng.choice((None, None, "gpu")),
            concurrency_key=rng.choice((None, "k1", "k2")),
        )
        seqs[sent.id] = seq
    await store.pause_set("acme", "jobs", None, NOW)
    await store.pause_set("other", "default", "b", NOW)
    pauses = pause_keys(await store.pause_list(None))
    await store.limit_set("acme", "default", "a", 3, None, NOW)
    await store.limit_set("other", "jobs", "b", 4, 1, NOW)
    await store.limit_set("acme", "jobs", "b", 1, None, NOW)

    taken = 0
    for query in rng.sample(QUERIES, len(QUERIES)) * 2:
        intents = [await store.intent_get(i, NOW) for i in seqs]
        usage = await store.limit_usage(None)
        eligible = [
            i
            for i in intents
            if i is not None and claimable(i, query, pauses, NOW, usage)
        ]
        best = min(eligible, key=lambda i: claim_order(i, seqs[i.id]), default=None)

        took: Intent | None = await claim(store, query, worker_id=query.worker_id)

        assert (took.id if took else None) == (best.id if best else None), query
        taken += took is not None
    assert 10 <= taken < len(seqs)  # claims took work, and left some unclaimable
