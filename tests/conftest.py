"""Fixtures shared by every test directory: database URLs and a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server
from tests.pgutil import fresh_postgres_database

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bus.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database, for tests that need only the default backend."""
    return f"sqlite:///{tmp_path / 'bus.db'}"


@pytest.fixture
def server(db_url: str) -> Iterator[ServerHandle]:
    """A live server on each backend in turn (HTTP-level contract tests)."""
    with running_server(Settings(db_url=db_url)) as handle:
        yield handle


@pytest.fixture
def sqlite_server(sqlite_url: str) -> Iterator[ServerHandle]:
    """A live server on the default SQLite backend (SDK, worker and CLI tests)."""
    with running_server(Settings(db_url=sqlite_url)) as handle:
        yield handle


@pytest.fixture
def tenant_key(sqlite_server: ServerHandle) -> str:
    """A fresh tenant key on `sqlite_server`."""
    return sqlite_server.create_tenant()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``pytest.mark.anyio``) run on asyncio, as the server does."""
    return "asyncio"
