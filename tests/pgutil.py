"""Fresh PostgreSQL databases for tests, from INTENT_BUS_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV = "INTENT_BUS_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    """The admin URL tests create databases through; skips the test without one."""
    url = os.environ.get(ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{ENV} must be set in CI: PostgreSQL tests may not be skipped")
        pytest.skip(
            f"PostgreSQL tests need {ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Creates an empty database, yields its URL, and drops it afterwards."""
    import psycopg

    base = postgres_base_url()
    name = f"ib_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
