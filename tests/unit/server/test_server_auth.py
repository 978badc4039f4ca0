"""Key cache and the canonical paths a signature may cover."""

from __future__ import annotations

import pytest

from intent_bus.server import auth
from intent_bus.server.auth import KeyCache, parse_timestamp, request_paths
from intent_bus.storage.base import ApiKey


def _key(key_id: str = "key_1", secret: str = "tk_s") -> ApiKey:
    return ApiKey(id=key_id, secret=secret, owner="o", role="tenant", created_at=0.0)


def test_cache_expires_entries() -> None:
    cache = KeyCache(seconds=2)
    cache.put(_key(), now=10.0)
    assert cache.get("tk_s", 11.9) == _key()
    assert cache.get("tk_s", 12.0) is None


def test_invalidate_drops_every_entry_of_the_key_id() -> None:
    cache = KeyCache()
    cache.put(_key("a", "s1"), 0.0)
    cache.put(_key("b", "s2"), 0.0)
    cache.invalidate("a")
    assert cache.get("s1", 0.5) is None
    assert cache.get("s2", 0.5) is not None


def test_request_paths_offer_raw_then_decoded_path_with_sorted_query() -> None:
    scope = {
        "path": "/get/a b",
        "raw_path": b"/get/a%20b",
        "query_string": b"z=1&a=x%2Fy",
    }
    expected = ("/get/a%20b?a=x%2Fy&z=1", "/get/a b?a=x%2Fy&z=1")
    assert request_paths(scope) == expected
    assert request_paths(dict(scope)) == expected  # the second time from the cache


def test_request_paths_are_told_apart_by_the_whole_target() -> None:
    """The cache of canonical paths is keyed by raw path, path and query alike."""
    base = {"path": "/claim", "raw_path": b"/claim", "query_string": b"goal=a"}
    assert request_paths(base) == ("/claim?goal=a",)
    assert request_paths({**base, "query_string": b"goal=b"}) == ("/claim?goal=b",)
    assert request_paths({**base, "path": "/x", "raw_path": b"/x"}) == ("/x?goal=a",)
    spaced = {"path": "/c d", "raw_path": b"/c%20d", "query_string": b"goal=a"}
    assert request_paths(spaced) == ("/c%20d?goal=a", "/c d?goal=a")


def test_request_paths_without_a_query_skip_the_cache() -> None:
    """Targets without a query (each `/fulfill/<id>` its own) are answered
    directly: they would only push the claim URLs out of the cache."""
    auth._PATHS.clear()
    assert request_paths({"path": "/fulfill/i1", "raw_path": b"/fulfill/i1"}) == (
        "/fulfill/i1",
    )
    spaced = {"path": "/get/a b", "raw_path": b"/get/a%20b", "query_string": b""}
    assert request_paths(spaced) == ("/get/a%20b", "/get/a b")
    assert not auth._PATHS


def test_request_paths_without_raw_path() -> None:
    assert request_paths({"path": "/claim", "query_string": b""}) == ("/claim",)


@pytest.mark.parametrize(
    "text",
    ["nan", "NaN", "inf", "1e9", "+5", " 17 ", "17.0", "-17", "\u00b2", "\u0661", ""],
)
def test_timestamp_must_be_plain_ascii_digits(text: str) -> None:
    assert parse_timestamp(text) is None


def test_timestamp_of_digits_is_unix_seconds() -> None:
    assert parse_timestamp("1700000000") == 1700000000
