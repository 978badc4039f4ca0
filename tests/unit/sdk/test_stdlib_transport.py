"""Which transport the sync client picks by default: the stdlib one, unless a
proxy from the environment applies (only httpx's transport honours those)."""

from __future__ import annotations

import pytest

from intent_bus.sdk.stdlib_transport import StdlibTransport, default_transport

PROXY_VARIABLES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def pick(url: str) -> StdlibTransport | None:
    return default_transport(url, keepalive_expiry=4.0, max_idle=20)


def test_without_proxies_the_stdlib_transport_is_used() -> None:
    assert isinstance(pick("http://127.0.0.1:8000"), StdlibTransport)
    assert isinstance(pick("https://bus.example.com"), StdlibTransport)


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("HTTP_PROXY", "http://bus.example.com"),
        ("HTTPS_PROXY", "https://bus.example.com"),
        ("ALL_PROXY", "http://bus.example.com"),
        ("https_proxy", "https://bus.example.com"),
    ],
)
def test_an_applicable_proxy_leaves_the_choice_to_httpx(
    monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    monkeypatch.setenv(variable, "http://proxy.example.com:3128")
    assert pick(url) is None


def test_a_proxy_for_the_other_scheme_does_not_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert isinstance(pick("http://bus.example.com"), StdlibTransport)
