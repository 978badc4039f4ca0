"""Fixtures that run every SDK test against both clients.

``make_client`` builds an ``IntentClient`` or an ``AsyncIntentClient`` (by the
``kind`` parameter) and hands back an object with the same, blocking methods:
the async client's coroutines run on a loop owned by the test. One test body
thus covers both clients, which is the point: they must behave identically.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from intent_bus import AsyncIntentClient, IntentClient
from tests.harness import ServerHandle


class Blocking:
    """Runs an AsyncIntentClient's coroutine methods to completion on `loop`."""

    def __init__(self, client: AsyncIntentClient, loop: asyncio.AbstractEventLoop):
        self.client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if inspect.isasyncgenfunction(attr):
            return self._iterate(attr)
        if not inspect.iscoroutinefunction(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(attr(*args, **kwargs))

        return call

    def _iterate(self, method: Any) -> Callable[..., Iterator[Any]]:
        """An async iterator method as a blocking one, step by step (so a
        test can stop early, and see that no further page is fetched)."""

        def walk(*args: Any, **kwargs: Any) -> Iterator[Any]:
            agen = method(*args, **kwargs)
            try:
                while True:
                    try:
                        yield self._loop.run_until_complete(agen.__anext__())
                    except StopAsyncIteration:
                        return
            finally:
                self._loop.run_until_complete(agen.aclose())

        return walk


MakeClient = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(
    kind: str, sqlite_server: ServerHandle, tenant_key: str
) -> Iterator[MakeClient]:
    """Builds clients of this test's kind (defaults: the live server, the tenant
    key) and closes them all when the test ends."""
    loop = asyncio.new_event_loop()
    opened: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", sqlite_server.url)
        kwargs.setdefault("api_key", tenant_key)
        if kind == "sync":
            client: Any = IntentClient(**kwargs)
        else:
            client = Blocking(AsyncIntentClient(**kwargs), loop)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()
    loop.close()


@pytest.fixture
def client(make_client: MakeClient) -> Any:
    """A client of this test's kind for the tenant key."""
    return make_client()
