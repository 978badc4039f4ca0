"""The KV store through both clients: every JSON value round-trips exactly."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from intent_bus import IntentBusError
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient
from tests.unit.sdk.test_kv import VALUES


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_value_round_trips(client: Any, value: Any) -> None:
    client.set("key", value, ttl=60)
    got = client.get("key", default="<missing>")
    assert got == value and type(got) is type(value)


def test_readme_example(client: Any) -> None:
    client.set("model_weights_version", {"v": "2.4.1", "path": "/models/v2"}, ttl=3600)
    config = client.get("model_weights_version")
    assert config["path"] == "/models/v2"


def test_containers_are_stored_as_json_text_for_field_clients(
    client: Any, sqlite_server: ServerHandle, tenant_key: str
) -> None:
    client.set("shared", {"b": [1, 2], "a": None})
    raw = httpx.get(
        f"{sqlite_server.url}/get/shared", headers={"X-API-KEY": tenant_key}
    ).json()
    assert raw == {"value": '{"a":null,"b":[1,2]}'}


def test_missing_and_expired_keys_give_the_default(client: Any) -> None:
    assert client.get("never-set") is None
    assert client.get("never-set", default={"d": 1}) == {"d": 1}
    client.set("short", "lived", ttl=1)
    deadline = time.monotonic() + 10
    while client.get("short", default="gone") != "gone":
        assert time.monotonic() < deadline, "ttl=1 value never expired"
        time.sleep(0.1)


def test_overwrite_and_odd_keys(client: Any) -> None:
    for key in ("a/b", "with space", "ünï", "k" * 256, "?&="):
        client.set(key, 1)
        client.set(key, [key])
        assert client.get(key) == [key]


def test_keys_are_private_to_a_tenant(
    client: Any, make_client: MakeClient, sqlite_server: ServerHandle
) -> None:
    client.set("secret", "mine")
    stranger = make_client(api_key=sqlite_server.create_tenant())
    assert stranger.get("secret") is None


def test_invalid_ttl_is_refused_before_sending(client: Any) -> None:
    with pytest.raises(IntentBusError, match="ttl"):
        client.set("k", 1, ttl=0)
