"""`intent-bus listen` must not surprise: a look at a queue from a terminal
does not drain it, `--exec --timeout` ends a hung command, and an aborted
worker leaves no command running behind it."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error, clean_env
from tests.harness import ServerHandle
from tests.worker.support import result_of, wait_for

pytestmark = pytest.mark.slow


def test_listen_at_a_terminal_needs_exec_or_ack(
    sqlite_server: ServerHandle, tenant_key: str, client: IntentClient, tmp_path: Path
) -> None:
    job = client.publish("watched", {"a": 1})
    env = clean_env(tmp_path)
    env.update(INTENT_BUS_URL=sqlite_server.url, INTENT_API_KEY=tenant_key)
    controller, terminal = pty.openpty()
    try:
        argv = [sys.executable, "-m", "intent_bus.cli.main", "listen", "watched"]
        refused = subprocess.run(
            [*argv, "--once"],
            stdin=terminal,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert_one_line_error(refused, 2, "--exec CMD", "--ack")
        assert client.get_status(job.id).status == "open"
        acked = subprocess.run(
            [*argv, "--once", "--ack", "-s"],
            stdin=terminal,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert acked.returncode == 0, acked.stderr
    assert result_of(client, job.id).status == "fulfilled"


def test_listen_help_says_what_the_default_does(cli: Cli) -> None:
    text = " ".join(cli("listen", "--help").stdout.split())
    assert "FULFILLED WITH NO RESULT" in text and "--ack" in text
    assert "one JSON line per finished intent" in text


def test_exec_timeout_kills_the_command_and_fails_the_intent(
    cli: Cli, client: IntentClient, tmp_path: Path
) -> None:
    job = client.publish("hang", {}, max_attempts=1)
    marker = tmp_path / "child.pid"
    # The shell starts a grandchild; the whole group must go.
    command = f"sleep 30 & echo $! > {marker}; wait"
    started = time.monotonic()
    proc = cli("listen", "hang", "--once", "--exec", command, "--timeout", "1")
    assert proc.returncode == 1
    assert time.monotonic() - started < 20
    result = result_of(client, job.id)
    assert result.status == "dead"
    assert result.error == "command timed out after 1 s and was killed"
    assert not _alive(int(marker.read_text()))


def test_timeout_needs_exec(cli: Cli) -> None:
    proc = cli("listen", "g", "--ack", "--timeout", "1")
    assert_one_line_error(proc, 2, "--timeout needs --exec")


def test_second_signal_kills_the_exec_command_group(
    sqlite_server: ServerHandle, tenant_key: str, client: IntentClient, tmp_path: Path
) -> None:
    job = client.publish("slow", {}, max_attempts=1)
    marker = tmp_path / "child.pid"
    env = clean_env(tmp_path)
    env.update(INTENT_BUS_URL=sqlite_server.url, INTENT_API_KEY=tenant_key)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intent_bus.cli.main",
            "listen",
            "slow",
            "--exec",
            f"sleep 60 & echo $! > {marker}; wait",
            "--interval",
            "0.5",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip() != "", 30)
        child = int(marker.read_text())
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert _alive(child)  # the first Ctrl-C lets the command finish
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    wait_for(lambda: not _alive(child), 10, "the command to be killed")
    assert result_of(client, job.id).error == "worker aborted"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
