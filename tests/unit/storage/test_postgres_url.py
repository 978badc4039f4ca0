"""The PostgreSQL URL carries the replica's pool budget; libpq sees the rest."""

from __future__ import annotations

import pytest

from intent_bus.storage.postgres.url import (
    DEFAULT_POOL_MAX,
    PostgresOptions,
    split_url,
)


def test_plain_url_gets_default_small_pool() -> None:
    conninfo, options = split_url("postgresql://bus@db:5432/bus")
    assert conninfo == "postgresql://bus@db:5432/bus"
    assert options == PostgresOptions()
    assert options.pool_max == DEFAULT_POOL_MAX


def test_pool_options_are_taken_out_and_libpq_options_kept() -> None:
    conninfo, options = split_url(
        "postgres://bus@db/bus?sslmode=require&pool_max=8&pool_min=2"
        "&pool_timeout=3.5&lock_timeout_ms=100&listen=off&prepare=off"
    )
    assert conninfo == "postgresql://bus@db/bus?sslmode=require"
    assert options == PostgresOptions(
        pool_min=2,
        pool_max=8,
        pool_timeout=3.5,
        lock_timeout_ms=100,
        listen=False,
        prepare=False,
    )


@pytest.mark.parametrize("query", ["pool_max=0", "pool_min=5&pool_max=2"])
def test_impossible_pool_sizes_are_refused(query: str) -> None:
    with pytest.raises(ValueError):
        split_url(f"postgresql://bus@db/bus?{query}")
