"""Fixtures of the HTTP-level server tests: clients for tenants and admin, and
servers with non-default settings on each backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server
from tests.server.api import Api


@pytest.fixture
def clients() -> Iterator[Callable[..., Api]]:
    """Factory of `Api` clients that are all closed after the test."""
    made: list[Api] = []

    def make(server: ServerHandle, key: str | None = None, **kw: Any) -> Api:
        api = Api(server.url, key or server.create_tenant(), **kw)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def tenant(server: ServerHandle, clients: Callable[..., Api]) -> Api:
    return clients(server)


@pytest.fixture
def admin(server: ServerHandle, clients: Callable[..., Api]) -> Api:
    return clients(server, server.admin_key)


@pytest.fixture
def custom_server(db_url: str) -> Iterator[Callable[..., ServerHandle]]:
    """Starts a server with Settings overrides on this test's database."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> ServerHandle:
            settings = dataclasses.replace(Settings(db_url=db_url), **overrides)
            return stack.enter_context(running_server(settings))

        yield start
