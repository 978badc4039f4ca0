"""The small things a newcomer meets in the first hour with the CLI: readable
times, a word where output would be empty, one JSON error document, helpful
key errors, the environment's key names, payloads from files and stdin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from intent_bus import protocol
from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error
from tests.harness import ServerHandle
from tests.worker.support import result_of

pytestmark = pytest.mark.slow

DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def test_status_prints_readable_times_and_json_keeps_epochs(
    cli: Cli, client: IntentClient
) -> None:
    job = client.publish("g", {})
    lines = dict(
        line.split(None, 1) for line in cli("status", job.id).stdout.splitlines()
    )
    assert DATE.match(lines["created_at"]) and DATE.match(lines["run_at"])
    view = json.loads(cli("status", job.id, "--json").stdout)
    assert isinstance(view["created_at"], float | int)


def test_result_of_an_intent_fulfilled_without_result_says_so(
    cli: Cli, client: IntentClient
) -> None:
    job = client.publish("g", {})
    claimed = client.claim("g")
    assert claimed is not None
    client.fulfill(claimed.id)
    proc = cli("result", job.id, "--wait", "5")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert "fulfilled with no result" in proc.stderr


def test_empty_dead_list_says_so(cli: Cli, sqlite_server: ServerHandle) -> None:
    proc = cli("dead", "list", key=sqlite_server.admin_key)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == "intent-bus: no dead intents\n"


def test_json_errors_are_one_document_on_stdout(cli: Cli) -> None:
    proc = cli("status", "0" * 32, "--json")
    assert_one_line_error(proc, 1, "not found")
    assert json.loads(proc.stdout)["error"]["code"] == "not_found"
    proc = cli("--json", "publish", "g")
    assert_one_line_error(proc, 2, "required: JSON")
    assert json.loads(proc.stdout)["error"]["code"] == "usage"


def test_unfinished_result_prints_only_its_status_with_json(
    cli: Cli, client: IntentClient
) -> None:
    job = client.publish("g", {})
    proc = cli("result", job.id, "--json")
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["status"] == "open"  # one document, no error doc


def test_usage_error_names_the_program_once(cli: Cli) -> None:
    line = assert_one_line_error(cli("publish", "g"), 2)
    assert line.count("intent-bus") == 2  # the prefix and "see intent-bus publish"
    assert "intent-bus: error: intent-bus" not in line


def test_kv_set_reports_the_ttl_the_server_kept(cli: Cli) -> None:
    proc = cli("kv", "set", "k", "1", "--ttl", "999999", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ttl"] == protocol.KV_MAX_TTL
    assert f"capped the TTL of 'k' at {protocol.KV_MAX_TTL} s" in proc.stderr
    plain = cli("kv", "set", "k", "1", "--ttl", "60", "--json")
    assert (json.loads(plain.stdout)["ttl"], plain.stderr) == (60, "")


def test_tenant_key_on_an_admin_command_points_to_the_admin_key(cli: Cli) -> None:
    assert_one_line_error(cli("keys", "list"), 1, "INTENT_BUS_ADMIN_KEY")


def test_intent_bus_api_key_is_read_and_the_old_name_still_works(
    cli: Cli, tenant_key: str
) -> None:
    for name in ("INTENT_BUS_API_KEY", "INTENT_API_KEY"):
        proc = cli("kv", "set", "k", "1", key=None, env={name: tenant_key})
        assert proc.returncode == 0, (name, proc.stderr)
    help_text = " ".join(cli("status", "--help").stdout.split())
    assert "$INTENT_BUS_API_KEY, else $INTENT_API_KEY" in help_text


def test_readable_key_file_warns_in_one_line(
    cli: Cli, tenant_key: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "home" / ".apikey"  # the cli fixture's HOME
    key_file.write_text(tenant_key)
    key_file.chmod(0o644)
    proc = cli("kv", "set", "k", "1", key=None)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        f"intent-bus: warning: API key file {key_file} is accessible by group or "
        f"others; run: chmod 600 {key_file}"
    ]


def test_payload_from_stdin_and_from_a_file(
    cli: Cli, client: IntentClient, tmp_path: Path
) -> None:
    job_id = cli("publish", "g", "-", input='{"from": "stdin"}').stdout.strip()
    claimed = client.claim("g")
    assert claimed is not None and claimed.id == job_id
    assert claimed.payload == {"from": "stdin"}
    client.fulfill(claimed.id)
    assert result_of(client, job_id).status == "fulfilled"
    value = tmp_path / "value.json"
    value.write_text('{"from": "file"}')
    assert cli("kv", "set", "k", f"@{value}").returncode == 0
    assert json.loads(cli("kv", "get", "k").stdout) == {"from": "file"}
    missing = cli("publish", "g", "@/nonexistent/p.json")
    assert_one_line_error(missing, 2, "/nonexistent/p.json")
