"""The admin methods (keys, stats, dead intents) through both clients, live."""

from __future__ import annotations

import json
from typing import Any

import pytest

from intent_bus import IntentBusAuthError, IntentBusError, IntentStatus
from intent_bus.sdk.retry import RetryPolicy
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient
from tests.sdk.fakeserver import Reply, fake_server

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, max_total=5)


@pytest.fixture
def admin(make_client: MakeClient, sqlite_server: ServerHandle) -> Any:
    """A client of this test's kind holding the server's admin key."""
    return make_client(api_key=sqlite_server.admin_key)


def kill(client: Any, goal: str, namespace: str, error: str) -> IntentStatus:
    """Publishes an intent with one attempt and fails it, so it is dead."""
    job: IntentStatus = client.publish(goal, {}, namespace=namespace, max_attempts=1)
    claimed = client.claim(goal=goal, namespace=namespace)
    assert claimed and claimed.id == job.id
    assert client.fail(claimed, error=error)["status"] == "dead"
    return job


def test_created_key_works_is_listed_and_stops_working_once_revoked(
    admin: Any, make_client: MakeClient
) -> None:
    created = admin.create_key("acme")
    assert created["api_key"].startswith("tk_")
    assert (created["owner"], created["role"]) == ("acme", "tenant")
    assert isinstance(created["created_at"], float)
    tenant = make_client(api_key=created["api_key"])
    assert tenant.publish("g", {}).status == "open"

    listed = [key for key in admin.list_keys() if key["id"] == created["id"]]
    assert listed == [
        {
            "id": created["id"],
            "owner": "acme",
            "role": "tenant",
            "created_at": created["created_at"],
            "revoked_at": None,
        }
    ]
    assert created["api_key"] not in json.dumps(admin.list_keys())

    revoked = admin.revoke_key(created["id"])
    assert revoked["id"] == created["id"] and revoked["revoked_at"] is not None
    with pytest.raises(IntentBusAuthError) as info:
        tenant.publish("g", {})
    assert info.value.status_code == 401
    # Revoking again is harmless: the first revocation time stays.
    assert admin.revoke_key(created["id"])["revoked_at"] == revoked["revoked_at"]


def test_keys_of_one_owner_share_its_intents(
    admin: Any, make_client: MakeClient
) -> None:
    first = make_client(api_key=admin.create_key("shared")["api_key"])
    second = make_client(api_key=admin.create_key("shared")["api_key"])
    job = first.publish("g", {"n": 1}, namespace="rotation")
    assert second.get_status(job.id).id == job.id


def test_revoking_an_unknown_key_is_not_found(admin: Any) -> None:
    with pytest.raises(IntentBusError) as info:
        admin.revoke_key("key_0000000000000000")
    assert (info.value.status_code, info.value.code) == (404, "not_found")


def test_queue_stats_count_intents_by_status_and_namespace(
    admin: Any, client: Any
) -> None:
    empty = admin.queue_stats()
    assert empty["oldest_open_created_at"] is None
    first = client.publish("g", {}, namespace="stats")
    client.publish("g", {}, namespace="stats")
    kill(client, "doomed", "graveyard", "boom")

    stats = admin.queue_stats()
    zero = {"open": 0, "claimed": 0, "fulfilled": 0, "dead": 0, "cancelled": 0}
    assert stats["by_namespace"]["stats"] == {**zero, "open": 2}
    assert stats["by_namespace"]["graveyard"] == {**zero, "dead": 1}
    assert stats["by_status"] == {**zero, "open": 2, "dead": 1}
    assert stats["oldest_open_created_at"] == pytest.approx(first.created_at)


def test_dead_intent_is_listed_then_requeued_with_fresh_attempts(
    admin: Any, client: Any
) -> None:
    job = kill(client, "fragile", "media", "disk full")
    client.publish("fine", {}, namespace="media")

    dead = admin.list_dead()
    assert [d.id for d in dead] == [job.id]
    assert isinstance(dead[0], IntentStatus)
    assert (dead[0].status, dead[0].error, dead[0].claim_attempts) == (
        "dead",
        "disk full",
        1,
    )
    owner = dead[0].extra["owner"]
    assert owner.startswith("tenant-")
    assert [d.id for d in admin.list_dead(owner=owner, namespace="media")] == [job.id]
    assert admin.list_dead(namespace="elsewhere") == []
    assert admin.list_dead(owner="nobody") == []

    requeued = admin.requeue(job.id)
    assert isinstance(requeued, IntentStatus)
    assert (requeued.id, requeued.status, requeued.claim_attempts) == (
        job.id,
        "open",
        0,
    )
    assert requeued.error is None
    assert client.get_status(job.id).status == "open"
    assert admin.list_dead() == []
    again = client.claim(goal="fragile", namespace="media")
    assert again and again.id == job.id

    # No longer dead: a second requeue changes nothing.
    with pytest.raises(IntentBusError) as info:
        admin.requeue(job.id)
    assert (info.value.status_code, info.value.code) == (404, "not_found")


def test_dead_list_honours_limit(admin: Any, client: Any) -> None:
    for n in range(3):
        kill(client, f"g{n}", "many", "x")
    assert len(admin.list_dead(limit=2)) == 2
    with pytest.raises(IntentBusError, match="limit"):
        admin.list_dead(limit=0)


def test_tenant_key_is_forbidden_on_every_admin_method(client: Any) -> None:
    job = kill(client, "g", "default", "x")
    attempts = [
        lambda: client.create_key("mallory"),
        client.list_keys,
        lambda: client.revoke_key("key_0000000000000000"),
        client.queue_stats,
        client.list_dead,
        lambda: client.requeue(job.id),
    ]
    for attempt in attempts:
        with pytest.raises(IntentBusAuthError) as info:
            attempt()
        assert isinstance(info.value, IntentBusError)
        assert (info.value.status_code, info.value.code) == (403, "forbidden")
    # Nothing changed: the intent is still dead.
    assert client.get_status(job.id).status == "dead"


def test_create_key_is_not_repeated_after_a_server_error(
    make_client: MakeClient,
) -> None:
    error = b'{"error":{"code":"internal_error","message":"x"}}'
    with fake_server(Reply(500, error)) as fake:
        client = make_client(base_url=fake.url, api_key="ak_x", retry=FAST)
        with pytest.raises(IntentBusError):
            client.create_key("acme")
        assert len(fake.seen) == 1


def test_requeue_is_retried_through_a_server_error(make_client: MakeClient) -> None:
    view = {
        "id": "a" * 32,
        "status": "open",
        "goal": "g",
        "namespace": "default",
        "claim_attempts": 0,
        "max_attempts": 1,
        "priority": 100,
    }
    replies = (Reply(502, b"bad gateway"), Reply(200, json.dumps(view).encode()))
    with fake_server(*replies) as fake:
        client = make_client(base_url=fake.url, api_key="ak_x", retry=FAST)
        assert client.requeue("a" * 32).status == "open"
        assert [seen.path for seen in fake.seen] == [
            f"/admin/dead/{'a' * 32}/requeue"
        ] * 2
