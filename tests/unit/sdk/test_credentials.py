"""API key and URL resolution: argument, environment, then ~/.apikey, safely."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intent_bus.sdk.credentials import DEFAULT_URL, resolve_api_key, resolve_base_url
from intent_bus.sdk.exceptions import IntentBusAuthError, IntentBusError


def key_file(home: Path, text: str = "tk_from_file\n", mode: int = 0o600) -> Path:
    path = home / ".apikey"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_argument_wins_over_environment_and_file(tmp_path: Path) -> None:
    key_file(tmp_path)
    env = {"INTENT_API_KEY": "tk_env"}
    assert resolve_api_key("tk_arg", env, tmp_path) == "tk_arg"
    assert resolve_api_key(None, env, tmp_path) == "tk_env"
    assert resolve_api_key(None, {}, tmp_path) == "tk_from_file"


def test_missing_key_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(IntentBusAuthError, match="INTENT_API_KEY") as info:
        resolve_api_key(None, {"INTENT_API_KEY": "  "}, tmp_path)
    assert str(tmp_path / ".apikey") in str(info.value)


def test_empty_key_file_is_no_key(tmp_path: Path) -> None:
    key_file(tmp_path, "\n")
    with pytest.raises(IntentBusAuthError, match="no Intent Bus API key"):
        resolve_api_key(None, {}, tmp_path)


def test_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.write_text("tk_x")
    real.chmod(0o600)
    (tmp_path / ".apikey").symlink_to(real)
    with pytest.raises(IntentBusAuthError, match="symlink"):
        resolve_api_key(None, {}, tmp_path)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)
def test_key_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = key_file(tmp_path)
    os.chown(path, 65534, -1)
    with pytest.raises(IntentBusAuthError, match="owned by another user"):
        resolve_api_key(None, {}, tmp_path)


def test_readable_key_file_warns_but_works(tmp_path: Path) -> None:
    key_file(tmp_path, mode=0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        assert resolve_api_key(None, {}, tmp_path) == "tk_from_file"


def test_base_url_resolution() -> None:
    assert resolve_base_url(None, {}) == DEFAULT_URL == "http://127.0.0.1:8000"
    assert resolve_base_url(None, {"INTENT_BUS_URL": "http://h:1/"}) == "http://h:1"
    assert resolve_base_url("https://a", {"INTENT_BUS_URL": "http://h"}) == "https://a"
    with pytest.raises(IntentBusError, match="http:// or https://"):
        resolve_base_url("ftp://x", {})
