"""Contract: the workers registry merges sightings, lists per tenant since a
time, counts live leases, and purges old workers (injected clock)."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import Store
from intent_bus.storage.workers import WorkerSighting
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


def seen(worker_id: str = "w1", **overrides: object) -> WorkerSighting:
    fields: dict[str, object] = {
        "owner": "acme",
        "worker_id": worker_id,
        "capabilities": ("gpu",),
        "goal": "resize",
        "namespace": "default",
        "client_version": "intent-bus/2.1.2",
        **overrides,
    }
    return WorkerSighting(**fields)  # type: ignore[arg-type]


async def test_sightings_merge_goals_and_namespaces(store: Store) -> None:
    await store.worker_seen(seen(), NOW)
    await store.worker_seen(seen(goal="email", namespace="jobs"), NOW + 5)
    await store.worker_seen(seen(goal=None, capabilities=("cpu", "gpu")), NOW + 9)

    [worker] = await store.worker_list("acme", NOW - 60, NOW + 10)

    assert worker.worker_id == "w1" and worker.owner == "acme"
    assert worker.goals == ("resize", "email", "*")  # "*": claimed without a goal
    assert worker.namespaces == ("jobs", "default")
    assert worker.capabilities == ("cpu", "gpu")
    assert worker.last_seen == NOW + 9 and worker.client_version == "intent-bus/2.1.2"
    assert worker.in_flight == 0


async def test_an_extension_sighting_keeps_what_the_claims_said(store: Store) -> None:
    await store.worker_seen(seen(capabilities=("gpu",)), NOW)
    extension = seen(goal="email", capabilities=None, client_version=None)
    await store.worker_seen(extension, NOW + 30)

    [worker] = await store.worker_list("acme", NOW - 60, NOW + 40)

    assert worker.last_seen == NOW + 30
    assert worker.capabilities == ("gpu",)
    assert worker.client_version == "intent-bus/2.1.2"
    assert worker.goals == ("resize", "email")


async def test_list_is_per_tenant_and_since_a_time(store: Store) -> None:
    await store.worker_seen(seen("old"), NOW - 1000)
    await store.worker_seen(seen("new"), NOW)
    await store.worker_seen(seen("theirs", owner="other"), NOW)

    mine = await store.worker_list("acme", NOW - 600, NOW)
    everyone = await store.worker_list(None, NOW - 2000, NOW)

    assert [w.worker_id for w in mine] == ["new"]
    assert {(w.owner, w.worker_id) for w in everyone} == {
        ("acme", "old"),
        ("acme", "new"),
        ("other", "theirs"),
    }


async def test_in_flight_counts_live_leases_of_the_workers_tenant(store: Store) -> None:
    await publish(store)
    await publish(store)
    await publish(store, owner="other")
    await store.worker_seen(seen("w1"), NOW)
    await store.worker_seen(seen("w1", owner="other"), NOW)
    assert await claim(store, worker_id="w1") is not None
    assert await claim(store, worker_id="w1") is not None
    other = claimer(owner="other")
    assert await claim(store, other, worker_id="w1") is not None

    listed = {w.owner: w for w in await store.worker_list(None, NOW - 60, NOW + 1)}
    expired = {w.owner: w for w in await store.worker_list(None, NOW - 60, NOW + 61)}

    assert listed["acme"].in_flight == 2 and listed["other"].in_flight == 1
    assert expired["acme"].in_flight == 0


async def test_purge_deletes_workers_last_seen_before(store: Store) -> None:
    await store.worker_seen(seen("old"), NOW - 90_000)
    await store.worker_seen(seen("new"), NOW)
    assert await store.worker_purge(NOW - 86_400) == 1
    assert [w.worker_id for w in await store.worker_list(None, 0.0, NOW)] == ["new"]
