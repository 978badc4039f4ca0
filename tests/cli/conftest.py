"""Fixtures for CLI tests: run `intent-bus` as a subprocess against the live
server, with a clean environment (no ~/.apikey, no stray INTENT_* variables)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from intent_bus.sdk.client import IntentClient
from tests.harness import ServerHandle


class Cli(Protocol):
    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        input: str | None = None,
        key: str | None = ...,
    ) -> subprocess.CompletedProcess[str]: ...


def clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INTENT_API_KEY", "INTENT_BUS_"))
    }
    env["HOME"] = str(home)
    return env


@pytest.fixture
def cli(sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path) -> Cli:
    """Runs `python -m intent_bus.cli.main ARGS` with the server's URL and (by
    default) the tenant key in the environment."""
    home = tmp_path / "home"
    home.mkdir()

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        input: str | None = None,
        key: str | None = tenant_key,
    ) -> subprocess.CompletedProcess[str]:
        full_env = clean_env(home)
        full_env["INTENT_BUS_URL"] = sqlite_server.url
        if key is not None:
            full_env["INTENT_API_KEY"] = key
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "intent_bus.cli.main", *args],
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


@pytest.fixture
def client(sqlite_server: ServerHandle, tenant_key: str) -> Iterator[IntentClient]:
    with IntentClient(base_url=sqlite_server.url, api_key=tenant_key) as c:
        yield c


def assert_one_line_error(
    proc: subprocess.CompletedProcess[str], code: int, *fragments: str
) -> str:
    """The command failed with `code` and said why in exactly one stderr line."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("intent-bus: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
