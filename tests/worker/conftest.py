"""Fixtures for worker tests: an SDK client on the live SQLite server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intent_bus.sdk.client import IntentClient
from tests.harness import ServerHandle


@pytest.fixture
def client(sqlite_server: ServerHandle, tenant_key: str) -> Iterator[IntentClient]:
    with IntentClient(base_url=sqlite_server.url, api_key=tenant_key) as c:
        yield c
