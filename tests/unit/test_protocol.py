"""The shared wire module: canonical paths and signatures."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from intent_bus import protocol


def test_canonical_path_without_query_is_the_path() -> None:
    assert protocol.canonical_path("/claim") == "/claim"


def test_query_is_sorted_by_key_then_value_and_strictly_encoded() -> None:
    query = [("namespace", "a b"), ("goal", "x/y"), ("goal", "a~-._*")]
    assert (
        protocol.canonical_path("/claim", query)
        == "/claim?goal=a~-._%2A&goal=x%2Fy&namespace=a%20b"
    )


@given(st.text())
def test_query_encoding_is_quote_with_nothing_safe(text: str) -> None:
    """The unreserved-only shortcut answers what quote() would, for any text
    (non-ASCII letters and digits included, which are not unreserved)."""
    assert protocol.canonical_path("/c", [("k", text)]) == "/c?k=" + quote(
        text, safe=""
    )


def test_query_encoding_escapes_lookalikes_of_unreserved_characters() -> None:
    for text in ("é", "٣", "\uff41", "a b", "a*", "a/b", "a\n", "~-._", ""):
        assert protocol.canonical_path("/c", [(text, "v")]).startswith(
            "/c?" + quote(text, safe="") + "="
        )


def test_sign_is_hmac_sha256_over_the_documented_bytes() -> None:
    expected = hmac.new(
        b"tk_key", b"POST\n/intent\n1700000000\nn1\n{}", hashlib.sha256
    ).hexdigest()
    assert (
        protocol.sign("tk_key", "post", "/intent", "1700000000", "n1", b"{}")
        == expected
    )


def test_signature_matches_ignores_case_and_whitespace_only() -> None:
    good = protocol.sign("k", "GET", "/x", "1", "n", b"")
    assert protocol.signature_matches(good, f" {good.upper()} ")
    assert not protocol.signature_matches(
        good, good[:-1] + "0" if good[-1] != "0" else good[:-1] + "1"
    )


def test_version_major() -> None:
    assert protocol.version_major("7.61") == 7
    assert protocol.version_major("x") is None
