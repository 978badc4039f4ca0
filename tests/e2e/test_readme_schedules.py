"""The README's schedule examples (command line and SDK), run as written."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_readme_project import block_containing, environment
from tests.harness import ServerHandle

pytestmark = pytest.mark.slow


def test_readme_schedule_commands(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> None:
    env = environment(sqlite_server, tenant_key, tmp_path)
    lines = [
        line.split("  #")[0].strip()
        for line in block_containing("bash", "intent-bus schedule set").splitlines()
        if line.startswith("intent-bus")
    ]
    assert len(lines) == 3
    for line in lines:
        done = subprocess.run(
            line, shell=True, env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, (line, done.stderr)
    shown = httpx.get(
        f"{sqlite_server.url}/schedules/nightly", headers={"X-API-KEY": tenant_key}
    ).json()
    assert shown["timezone"] == "Europe/Berlin" and shown["last_intent_id"]


def test_readme_schedule_sdk_example(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> None:
    code = block_containing("python", "set_schedule")
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(sqlite_server, tenant_key, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    times = [float(t) for t in done.stdout.strip().strip("()").split(",") if t.strip()]
    assert len(times) == 5 and all(b - a == 10 for a, b in itertools.pairwise(times))
