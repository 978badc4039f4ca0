"""Secret-looking payload keys are masked before printing or logging."""

from __future__ import annotations

from typing import Any

import pytest

from intent_bus.worker.redact import MASK, is_secret_key, redact


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "PASSWORD",
        "db_password",
        "secret",
        "client_secret",
        "token",
        "accessToken",
        "api_key",
        "apiKey",
        "API-KEY",
        "Authorization",
        "auth",
        "credentials",
        "private_key",
        "aws_access_key_id",
        "cookie",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["url", "author", "user", "passage", "tokenizer_x"])
def test_ordinary_names(name: str) -> None:
    # "tokenizer_x" contains "token": erring on the side of masking is accepted,
    # so only the clearly harmless ones are asserted here.
    if name == "tokenizer_x":
        assert is_secret_key(name)
    else:
        assert not is_secret_key(name)


def test_nested_values_are_masked_and_input_untouched() -> None:
    payload: dict[str, Any] = {
        "url": "https://x",
        "auth": {"user": "u", "password": "p"},
        "hooks": [{"token": "t", "name": "n"}],
        "api_key": {"nested": "whole value masked"},
    }
    masked = redact(payload)
    assert masked == {
        "url": "https://x",
        "auth": MASK,
        "hooks": [{"token": MASK, "name": "n"}],
        "api_key": MASK,
    }
    assert payload["hooks"][0]["token"] == "t"


def test_scalars_pass_through() -> None:
    assert redact("password") == "password"
    assert redact(5) == 5
    assert redact(None) is None
