"""Rate limiting, overload (503 busy) and unexpected failures (500)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from intent_bus.server.settings import Settings
from intent_bus.storage import open_store
from intent_bus.storage.errors import Busy
from tests.harness import ServerHandle, running_server
from tests.server.api import Api, error_code


def test_rate_limit_answers_429_with_retry_after(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(rate_limit=3)
    tenant = clients(server)
    statuses = [tenant.claim().status_code for _ in range(4)]
    assert statuses == [204, 204, 204, 429]
    limited = tenant.claim()
    assert error_code(limited) == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    other = clients(server)  # each key has its own budget
    assert other.claim().status_code == 204
    admin = clients(server, server.admin_key)  # admins are never limited
    assert all(admin.claim().status_code == 204 for _ in range(6))


class FailingStore:
    """Delegates to a real store, but publishing raises `error`."""

    def __init__(self, inner: Any, error: Exception) -> None:
        self._inner = inner
        self._error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def intent_publish(self, *args: Any) -> Any:
        raise self._error


@pytest.fixture
def failing_server(db_url: str) -> Iterator[Callable[[Exception], ServerHandle]]:
    handles: list[Any] = []

    def start(error: Exception) -> ServerHandle:
        store = FailingStore(open_store(db_url), error)
        context = running_server(dataclasses.replace(Settings(db_url=db_url)), store)
        handles.append(context)
        return context.__enter__()

    yield start
    for context in handles:
        context.__exit__(None, None, None)


def test_busy_store_is_503_with_retry_after(
    failing_server: Callable[[Exception], ServerHandle], clients: Callable[..., Api]
) -> None:
    server = failing_server(Busy("database is locked"))
    response = clients(server).post("/intent", {"goal": "g"})
    assert response.status_code == 503 and error_code(response) == "busy"
    assert int(response.headers["Retry-After"]) >= 1


def test_unexpected_error_is_500_logged_with_request_id_and_no_key(
    failing_server: Callable[[Exception], ServerHandle],
    clients: Callable[..., Api],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = failing_server(RuntimeError("kaboom"))
    tenant = clients(server)
    with caplog.at_level(logging.ERROR, logger="intent_bus.server"):
        response = tenant.post("/intent", {"goal": "g"})
    assert response.status_code == 500 and error_code(response) == "internal_error"
    assert response.headers["X-Intent-Version"] == "7.61"
    message = response.json()["error"]["message"]
    request_id = message.rsplit(" ", 1)[-1].rstrip(")")
    assert request_id in caplog.text and "kaboom" in caplog.text
    assert tenant.key not in caplog.text
