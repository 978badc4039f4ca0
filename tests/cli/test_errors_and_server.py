"""Expected failures of every kind end in one stderr line and a non-zero exit;
`--version`; `intent-bus server` runs the real server."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from intent_bus import __version__
from intent_bus.protocol import PROTOCOL_VERSION
from tests.cli.conftest import Cli, assert_one_line_error, clean_env
from tests.worker.support import wait_for

pytestmark = pytest.mark.slow

EVERY_CLIENT_COMMAND = [
    ("publish", "g", "{}"),
    ("status", "0" * 32),
    ("result", "0" * 32),
    ("kv", "get", "k"),
    ("kv", "set", "k", "1"),
    ("listen", "g", "--once"),
    ("keys", "list"),
    ("dead", "list"),
    ("schedule", "list"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


VERSION_LINE = (
    f"intent-bus {__version__} (Intent Protocol v2.1; wire version "
    f"{PROTOCOL_VERSION}, as /healthz reports it)"
)


def test_version(cli: Cli) -> None:
    proc = cli("--version")
    assert (proc.returncode, proc.stdout) == (0, f"{VERSION_LINE}\n")


def test_installed_console_script_runs() -> None:
    script = Path(sys.executable).parent / "intent-bus"
    path = str(script) if script.exists() else shutil.which("intent-bus")
    if path is None:
        pytest.skip("the intent-bus console script is not installed")
    proc = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=False
    )
    assert proc.stdout.strip() == VERSION_LINE


@pytest.mark.parametrize("payload", ["{'a': 1}", "not json", "{", "[1, NaN]"])
def test_bad_json_argument(cli: Cli, payload: str) -> None:
    assert_one_line_error(
        cli("publish", "g", payload), 2, "JSON payload is not valid JSON"
    )


def test_missing_argument_is_one_line(cli: Cli) -> None:
    assert_one_line_error(cli("publish", "g"), 2, "required: JSON", "--help")
    assert_one_line_error(cli("frobnicate"), 2, "invalid choice")
    assert_one_line_error(cli("publish", "g", "{}", "--priority", "high"), 2, "int")


def test_argument_refused_by_the_sdk_is_one_line(cli: Cli) -> None:
    assert_one_line_error(
        cli("publish", "g", "{}", "--priority", "5000"), 1, "priority must be between"
    )


def test_missing_api_key(cli: Cli) -> None:
    for args in EVERY_CLIENT_COMMAND:
        proc = cli(*args, key=None)
        assert_one_line_error(proc, 1, "no Intent Bus API key", "--api-key")


def test_refused_api_key(cli: Cli) -> None:
    for args in EVERY_CLIENT_COMMAND:
        proc = cli(*args, key="tk_revoked_or_wrong")
        assert_one_line_error(proc, 1, "authentication failed")


def test_unreachable_server(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in EVERY_CLIENT_COMMAND:
        proc = cli(*args, "--url", url)
        assert_one_line_error(proc, 1, "cannot reach the Intent Bus server", url)


def test_url_and_api_key_options_before_the_command(cli: Cli, tenant_key: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    proc = cli("--url", url, "status", "x")
    assert_one_line_error(proc, 1, "cannot reach", url)
    proc = cli("--api-key", tenant_key, "--json", "kv", "set", "k", "1", key=None)
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True


def test_invalid_url_is_one_line(cli: Cli) -> None:
    assert_one_line_error(cli("status", "x", "--url", "ftp://nowhere"), 1, "http://")


def test_server_help_is_the_servers_own(cli: Cli) -> None:
    proc = cli("server", "--help")
    # uvicorn re-raises the signal after its graceful shutdown.
    assert proc.returncode in (0, -signal.SIGTERM)
    assert "--claim-timeout" in proc.stdout and "--require-signatures" in proc.stdout


def test_server_command_serves_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path)
    env["INTENT_BUS_ADMIN_KEY"] = "ak_cli_test_admin_key"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intent_bus.cli.main",
            "server",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "bus.db"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            return False

    try:
        wait_for(healthy, 30, "the server to answer")
        # The CLI's own admin command works against it.
        env["INTENT_BUS_URL"] = url
        created = subprocess.run(
            [sys.executable, "-m", "intent_bus.cli.main", "keys", "create", "ops"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        assert created.stdout.startswith("tk_")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    # uvicorn re-raises the signal after its graceful shutdown.
    assert proc.returncode in (0, -signal.SIGTERM)
