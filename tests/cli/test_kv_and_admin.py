"""`intent-bus kv`, `keys` and `dead` against the live server."""

from __future__ import annotations

import json

import pytest

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error
from tests.harness import ServerHandle

pytestmark = pytest.mark.slow


def test_kv_set_then_get(cli: Cli, client: IntentClient) -> None:
    assert cli("kv", "set", "config", '{"v": 2}', "--ttl", "3600").returncode == 0
    got = cli("kv", "get", "config")
    assert (got.returncode, got.stdout, got.stderr) == (0, '{"v": 2}\n', "")
    assert json.loads(cli("kv", "get", "config", "--json").stdout) == {"v": 2}
    assert client.get("config") == {"v": 2}


def test_kv_string_value_prints_plain_and_json_quoted(cli: Cli) -> None:
    cli("kv", "set", "name", '"alice"')
    assert cli("kv", "get", "name").stdout == "alice\n"
    assert cli("kv", "get", "name", "--json").stdout == '"alice"\n'


def test_kv_set_json_output(cli: Cli) -> None:
    proc = cli("kv", "set", "n", "5", "--json", "--ttl", "60")
    assert json.loads(proc.stdout) == {"ok": True, "key": "n", "ttl": 60}


def test_kv_get_missing_key_fails_in_one_line(cli: Cli) -> None:
    assert_one_line_error(cli("kv", "get", "nope"), 1, "not found", "'nope'")


def test_kv_set_bad_json_is_a_usage_error(cli: Cli) -> None:
    assert_one_line_error(
        cli("kv", "set", "k", "{'single': 'quotes'}"), 2, "not valid JSON"
    )
    assert_one_line_error(cli("kv", "set", "k", "NaN"), 2, "NaN is not allowed")


def test_keys_create_list_revoke(cli: Cli, sqlite_server: ServerHandle) -> None:
    admin = ["--api-key", sqlite_server.admin_key]
    created = cli("keys", "create", "alice", *admin)
    assert created.returncode == 0, created.stderr
    new_key = created.stdout.strip()
    assert new_key.startswith("tk_")
    # The new key works.
    assert cli("publish", "g", "{}", key=new_key).returncode == 0

    listed = json.loads(cli("keys", "list", "--json", *admin).stdout)["keys"]
    alice = [k for k in listed if k["owner"] == "alice"]
    assert len(alice) == 1 and alice[0]["revoked_at"] is None
    assert all("api_key" not in k and new_key not in json.dumps(k) for k in listed)
    human = cli("keys", "list", *admin).stdout
    assert "alice" in human and alice[0]["id"] in human

    revoked = cli("keys", "revoke", alice[0]["id"], *admin)
    assert revoked.returncode == 0 and alice[0]["id"] in revoked.stdout
    assert_one_line_error(
        cli("publish", "g", "{}", key=new_key), 1, "authentication failed"
    )


def test_admin_key_from_its_environment_variable(
    cli: Cli, sqlite_server: ServerHandle
) -> None:
    proc = cli(
        "keys",
        "create",
        "bob",
        "--json",
        env={"INTENT_BUS_ADMIN_KEY": sqlite_server.admin_key},
        key=None,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["owner"] == "bob"


def test_admin_commands_refuse_a_tenant_key(cli: Cli) -> None:
    for args in (("keys", "list"), ("dead", "list"), ("keys", "create", "eve")):
        assert_one_line_error(cli(*args), 1, "permission denied")


def test_revoke_unknown_key_is_not_found(cli: Cli, sqlite_server: ServerHandle) -> None:
    proc = cli("keys", "revoke", "key_unknown", "--api-key", sqlite_server.admin_key)
    assert_one_line_error(proc, 1, "not found")


def test_dead_list_and_requeue(
    cli: Cli, client: IntentClient, sqlite_server: ServerHandle
) -> None:
    admin = ["--api-key", sqlite_server.admin_key]
    job = client.publish("fragile", {}, max_attempts=1, namespace="media")
    claimed = client.claim(goal="fragile", namespace="media")
    client.fail(claimed.id, error="disk full")

    listed = json.loads(cli("dead", "list", "--json", *admin).stdout)["intents"]
    assert [(i["id"], i["error"]) for i in listed] == [(job.id, "disk full")]
    human = cli("dead", "list", "-n", "media", *admin).stdout
    assert job.id in human and "disk full" in human
    assert cli("dead", "list", "-n", "other", *admin).stdout == ""

    requeued = cli("dead", "requeue", job.id, *admin)
    assert requeued.returncode == 0, requeued.stderr
    assert client.get_status(job.id).status == "open"
    assert_one_line_error(cli("dead", "requeue", job.id, *admin), 1, "not found")
