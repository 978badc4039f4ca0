"""The admin API's requests, retry safety and parsing, built without a socket."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from intent_bus.sdk import admin_calls
from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusProtocolError,
)
from intent_bus.sdk.models import IntentStatus
from intent_bus.sdk.retry import Safety

VIEW = {
    "id": "a" * 32,
    "status": "open",
    "goal": "g",
    "namespace": "default",
    "claim_attempts": 0,
    "max_attempts": 3,
    "priority": 100,
}
KEY = {
    "id": "key_0123456789abcdef",
    "owner": "acme",
    "role": "tenant",
    "created_at": 1.0,
    "revoked_at": None,
}


def reply(status: int, data: Any = None, *, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(data).encode()
    return httpx.Response(status, content=content)


def forbidden() -> httpx.Response:
    return reply(403, {"error": {"code": "forbidden", "message": "admin only"}})


def test_create_key_posts_the_owner_and_is_retried_only_when_unprocessed() -> None:
    call = admin_calls.create_key("acme")
    assert (call.method, call.path) == ("POST", "/admin/keys")
    assert json.loads(call.body) == {"owner": "acme"}
    assert call.retry is Safety.UNPROCESSED
    created = {**KEY, "api_key": "tk_secret"}
    del created["revoked_at"]
    assert call.parse(reply(201, created), False) == created


def test_create_key_checks_the_owner_before_sending() -> None:
    with pytest.raises(IntentBusError, match="owner must not be empty"):
        admin_calls.create_key("")
    with pytest.raises(IntentBusError, match="owner must be a string"):
        admin_calls.create_key(7)


def test_create_key_reply_without_a_secret_breaks_the_contract() -> None:
    with pytest.raises(IntentBusProtocolError, match="api_key"):
        admin_calls.create_key("acme").parse(reply(201, KEY), False)
    with pytest.raises(IntentBusProtocolError):
        admin_calls.create_key("acme").parse(reply(200, {**KEY, "api_key": "x"}), False)


def test_list_keys_is_a_retryable_read_returning_the_key_views() -> None:
    call = admin_calls.list_keys()
    assert (call.method, call.path, call.retry) == ("GET", "/admin/keys", Safety.ALWAYS)
    assert call.parse(reply(200, {"keys": [KEY]}), False) == [KEY]
    for broken in ({"keys": None}, {"keys": ["x"]}, [KEY]):
        with pytest.raises(IntentBusProtocolError):
            call.parse(reply(200, broken), False)


def test_revoke_key_deletes_one_quoted_segment_and_may_be_repeated() -> None:
    call = admin_calls.revoke_key("key/../x")
    assert (call.method, call.path) == ("DELETE", "/admin/keys/key%2F..%2Fx")
    assert call.retry is Safety.ALWAYS
    revoked = {**KEY, "revoked_at": 2.0}
    assert call.parse(reply(200, revoked), True) == revoked
    with pytest.raises(IntentBusError) as info:
        call.parse(reply(404, {"error": {"code": "not_found", "message": "no"}}), False)
    assert (info.value.status_code, info.value.code) == (404, "not_found")


def test_queue_stats_is_a_retryable_read() -> None:
    call = admin_calls.queue_stats()
    assert (call.method, call.path, call.retry) == (
        "GET",
        "/admin/stats",
        Safety.ALWAYS,
    )
    stats = {"by_status": {"open": 1}, "by_namespace": {}, "oldest_open_created_at": 1}
    assert call.parse(reply(200, stats), False) == stats


def test_list_dead_sends_only_the_filters_given() -> None:
    assert admin_calls.list_dead().params == (("limit", "100"),)
    call = admin_calls.list_dead(owner="acme", namespace="media", limit=5)
    assert (call.method, call.path, call.retry) == ("GET", "/admin/dead", Safety.ALWAYS)
    assert call.params == (("limit", "5"), ("owner", "acme"), ("namespace", "media"))


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "10"])
def test_list_dead_refuses_a_bad_limit_before_sending(limit: Any) -> None:
    with pytest.raises(IntentBusError, match="limit"):
        admin_calls.list_dead(limit=limit)


def test_list_dead_parses_status_views_keeping_the_owner_in_extra() -> None:
    dead = {**VIEW, "status": "dead", "error": "boom", "owner": "acme"}
    parsed = admin_calls.list_dead().parse(reply(200, {"intents": [dead]}), False)
    assert [p.id for p in parsed] == ["a" * 32]
    assert (parsed[0].status, parsed[0].error) == ("dead", "boom")
    assert parsed[0].extra == {"owner": "acme"}
    with pytest.raises(IntentBusProtocolError, match="intents"):
        admin_calls.list_dead().parse(reply(200, {"intents": {}}), False)
    with pytest.raises(IntentBusProtocolError, match="claim_attempts"):
        admin_calls.list_dead().parse(
            reply(200, {"intents": [{**VIEW, "claim_attempts": "1"}]}), False
        )


def test_requeue_posts_to_the_intent_and_returns_its_status() -> None:
    call = admin_calls.requeue("a" * 32)
    assert (call.method, call.path) == ("POST", f"/admin/dead/{'a' * 32}/requeue")
    assert call.retry is Safety.ALWAYS and call.body == b""
    assert call.parse(reply(200, VIEW), False) == IntentStatus.from_json(VIEW)
    # A status model names its intent as well as an id does.
    assert admin_calls.requeue(IntentStatus.from_json(VIEW)).path == call.path


def test_requeue_not_found_says_when_a_lost_attempt_may_have_worked() -> None:
    missing = reply(404, {"error": {"code": "not_found", "message": "not dead"}})
    with pytest.raises(IntentBusError, match="not dead") as plain:
        admin_calls.requeue("a" * 32).parse(missing, False)
    with pytest.raises(IntentBusError, match="may have requeued it") as unsure:
        admin_calls.requeue("a" * 32).parse(missing, True)
    for info in (plain, unsure):
        assert (info.value.status_code, info.value.code) == (404, "not_found")


@pytest.mark.parametrize(
    "call",
    [
        admin_calls.create_key("acme"),
        admin_calls.list_keys(),
        admin_calls.revoke_key("key_x"),
        admin_calls.queue_stats(),
        admin_calls.list_dead(),
        admin_calls.requeue("a" * 32),
    ],
    ids=lambda call: f"{call.method} {call.path}",
)
def test_a_tenant_key_is_told_it_is_forbidden(call: Any) -> None:
    with pytest.raises(IntentBusAuthError) as info:
        call.parse(forbidden(), False)
    assert (info.value.status_code, info.value.code) == (403, "forbidden")


def test_a_non_json_reply_is_a_protocol_error() -> None:
    with pytest.raises(IntentBusProtocolError, match="non-JSON"):
        admin_calls.queue_stats().parse(reply(200, raw=b"<html>"), False)


def test_admin_answers_are_typed_models_that_still_read_as_the_dicts() -> None:
    from intent_bus.sdk.admin_models import ApiKey, CreatedKey, QueueStats

    created = admin_calls.create_key("acme").parse(
        reply(201, {**KEY, "api_key": "tk_secret"}), False
    )
    assert isinstance(created, CreatedKey)
    assert (created.api_key, created.owner, created.revoked_at) == (
        "tk_secret",
        "acme",
        None,
    )
    assert created["api_key"] == created.get("api_key") == "tk_secret"
    assert dict(created) == {**KEY, "api_key": "tk_secret"}
    [key] = admin_calls.list_keys().parse(reply(200, {"keys": [KEY]}), False)
    assert isinstance(key, ApiKey) and key.created_at == 1.0
    stats = admin_calls.queue_stats().parse(
        reply(200, {"by_status": {"open": 2}, "by_namespace": {}}), False
    )
    assert isinstance(stats, QueueStats)
    assert stats.by_status["open"] == 2 and stats.oldest_open_created_at is None
    with pytest.raises(IntentBusProtocolError, match="'role'"):
        admin_calls.revoke_key("k").parse(reply(200, {**KEY, "role": 3}), False)
