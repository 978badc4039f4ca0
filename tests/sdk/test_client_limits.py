"""Concurrency limits through both clients, live: set, list, delete, the
per-key cap of intents published with a concurrency_key, and isolation."""

from __future__ import annotations

from typing import Any

import pytest

from intent_bus import IntentBusError
from intent_bus.sdk.limits import ConcurrencyLimit
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient


@pytest.fixture
def rival(make_client: MakeClient, sqlite_server: ServerHandle) -> Any:
    """A client of another tenant."""
    return make_client(api_key=sqlite_server.create_tenant("rival"))


def test_a_limit_caps_claims_per_key_until_deleted(client: Any, rival: Any) -> None:
    for key in ("c1", "c1", "c2"):
        client.publish("render", {}, namespace="media", concurrency_key=key)
    limit = client.set_limit("media", "render", 5, max_per_key=1)
    assert isinstance(limit, ConcurrencyLimit)
    assert (limit.namespace, limit.goal, limit.max_running) == ("media", "render", 5)
    assert (limit.max_per_key, limit.running) == (1, 0)

    first = client.claim(goal="render", namespace="media")
    second = client.claim(goal="render", namespace="media")
    assert first and second
    assert {first.id, second.id} and not client.claim(goal="render", namespace="media")
    assert [lim.running for lim in client.limits()] == [2]
    assert rival.limits() == []
    with pytest.raises(IntentBusError) as info:
        rival.delete_limit("media", "render")
    assert info.value.status_code == 404

    client.delete_limit("media", "render")
    assert client.limits() == []
    assert client.claim(goal="render", namespace="media")


def test_bad_limits_are_refused_before_sending(client: Any) -> None:
    for bad in (
        lambda: client.set_limit("media", "render", 0),
        lambda: client.set_limit("media", "render", 1, max_per_key=0),
        lambda: client.publish("g", {}, concurrency_key="k" * 129),
    ):
        with pytest.raises(IntentBusError):
            bad()


def test_a_schedule_publishes_with_its_concurrency_key(client: Any) -> None:
    client.set_schedule(
        "keyed", "0 0 1 1 *", "render", {}, namespace="media", concurrency_key="c9"
    )
    tick = client.trigger_schedule("keyed")
    client.set_limit("media", "render", 5, max_per_key=1)
    assert client.claim(goal="render", namespace="media").id == tick.intent_id
    client.trigger_schedule("keyed")
    assert not client.claim(goal="render", namespace="media")  # same key: held
