"""`intent-bus intents`, `pause`/`resume` (and the control commands still
waiting on the server) against the live server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error, clean_env
from tests.harness import ServerHandle
from tests.server.api import Api

pytestmark = pytest.mark.slow


def test_intents_prints_a_table_newest_first_with_readable_times(
    cli: Cli, client: IntentClient
) -> None:
    old = client.publish("crawl", {}, namespace="web")
    new = client.publish("crawl", {}, namespace="web")
    shown = cli("intents", "--goal", "crawl")
    assert shown.returncode == 0, shown.stderr
    header, first, second = shown.stdout.splitlines()
    assert header.split()[:5] == ["ID", "STATUS", "GOAL", "NAMESPACE", "TRIES"]
    assert first.startswith(new.id) and second.startswith(old.id)
    assert "open" in first and "0/3" in first
    assert "20" in first  # a date (year), not an epoch float
    assert "." not in first.split()[-1]


def test_intents_pages_with_a_cursor_and_all(cli: Cli, client: IntentClient) -> None:
    ids = [client.publish("page", {}).id for _ in range(3)]
    first = cli("intents", "--goal", "page", "--limit", "2")
    assert len(first.stdout.splitlines()) == 3  # header and two rows
    cursor = first.stderr.split("--cursor ", 1)[1].split()[0]
    rest = cli("intents", "--goal", "page", "--limit", "2", "--cursor", cursor)
    assert rest.stdout.splitlines()[1].startswith(ids[0])
    walked = json.loads(
        cli("intents", "--goal", "page", "--limit", "1", "--all", "--json").stdout
    )
    assert [row["id"] for row in walked["intents"]] == ids[::-1]
    assert walked["next_cursor"] is None


def test_intents_json_is_the_servers_page(cli: Cli, client: IntentClient) -> None:
    job = client.publish("g", {"x": 1})
    page = json.loads(cli("intents", "--json").stdout)
    [row] = page["intents"]
    assert (row["id"], row["status"], row["cancel_requested"]) == (
        job.id,
        "open",
        False,
    )
    assert isinstance(row["created_at"], float)
    assert page["next_cursor"] is None


def test_intents_empty_says_so_on_stderr(cli: Cli) -> None:
    shown = cli("intents", "--status", "dead")
    assert (shown.returncode, shown.stdout) == (0, "")
    assert "no intents match" in shown.stderr


def test_intents_bad_arguments_are_usage_or_server_errors(cli: Cli) -> None:
    assert cli("intents", "--status", "done").returncode == 2
    assert_one_line_error(cli("intents", "--limit", "0"), 1, "limit")
    assert_one_line_error(cli("intents", "--cursor", "junk"), 1, "cursor")


def test_pause_list_and_resume(cli: Cli, client: IntentClient) -> None:
    client.publish("resize", {}, namespace="media")
    paused = cli("pause", "media", "--goal", "resize")
    assert (paused.returncode, paused.stdout) == (
        0,
        "paused goal resize in namespace media\n",
    )
    assert not client.claim(goal="resize", namespace="media")
    listed = json.loads(cli("pause", "--list", "--json").stdout)
    assert [(p["namespace"], p["goal"]) for p in listed["pauses"]] == [
        ("media", "resize")
    ]
    table = cli("pause", "--list").stdout.splitlines()
    assert table[0].split() == ["OWNER", "NAMESPACE", "GOAL", "SINCE"]
    assert cli("resume", "media", "--goal", "resize").stdout == "resumed\n"
    again = cli("resume", "media", "--goal", "resize", "--json")
    assert json.loads(again.stdout) == {"resumed": False}
    assert client.claim(goal="resize", namespace="media")


def test_pause_without_a_namespace_is_a_usage_error(cli: Cli) -> None:
    assert_one_line_error(cli("pause"), 2, "NAMESPACE")


def test_stats_prints_a_table_and_json(cli: Cli, client: IntentClient) -> None:
    client.publish("resize", {}, namespace="media")
    shown = cli("stats")
    assert shown.returncode == 0, shown.stderr
    header, row = shown.stdout.splitlines()
    assert header.split()[:4] == ["OWNER", "NAMESPACE", "GOAL", "OPEN"]
    assert row.split()[1:4] == ["media", "resize", "1"]
    document = json.loads(cli("stats", "--json").stdout)
    [group] = document["groups"]
    assert group["counts"]["open"] == 1 and len(group["completions_per_minute"]) == 60


def test_stats_watch_redraws_until_interrupted(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> None:
    env = clean_env(tmp_path)
    env.update(INTENT_BUS_URL=sqlite_server.url, INTENT_BUS_API_KEY=tenant_key)
    proc = subprocess.Popen(
        [sys.executable, "-m", "intent_bus.cli.main", "stats", "--watch", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.count("\x1b[H\x1b[2J") >= 2  # redrawn in place, more than once
    assert "Ctrl-C to stop" in out and "no intents" in out


def test_cancel_an_open_and_a_claimed_intent(cli: Cli, client: IntentClient) -> None:
    waiting = client.publish("g", {})
    shown = cli("cancel", waiting.id)
    assert (shown.returncode, shown.stdout) == (0, f"cancelled {waiting.id}\n")
    running = client.publish("g", {})
    client.claim(goal="g", worker_id="node-1")
    asked = cli("cancel", running.id)
    assert asked.stdout == (
        f"cancel requested for {running.id} (claimed): its worker is told at its "
        "next lease renewal\n"
    )
    again = cli("cancel", waiting.id, "--json")
    assert again.returncode == 1
    assert json.loads(again.stdout)["error"]["code"] == "conflict"


def test_events_and_workers_print_tables(cli: Cli, client: IntentClient) -> None:
    job = client.publish("g", {})
    client.claim(goal="g", worker_id="node-3")
    events = cli("events", job.id)
    assert events.returncode == 0, events.stderr
    lines = events.stdout.splitlines()
    assert lines[0].split() == ["TIME", "EVENT", "WORKER", "ATTEMPT", "DETAIL"]
    assert "published" in lines[1] and "claimed" in lines[2] and "node-3" in lines[2]
    document = json.loads(cli("events", job.id, "--json").stdout)
    assert [e["type"] for e in document["events"]] == ["published", "claimed"]
    workers = cli("workers")
    header, row = workers.stdout.splitlines()
    assert header.split()[:3] == ["WORKER", "OWNER", "STATE"]
    assert row.split()[0] == "node-3" and " live " in row and row.endswith(" ago")
    listed = json.loads(cli("workers", "--json").stdout)["workers"]
    assert [w["worker_id"] for w in listed] == ["node-3"]


def test_explain_prints_the_reasons(cli: Cli, client: IntentClient) -> None:
    job = client.publish("g", {}, delay=3600)
    shown = cli("explain", job.id)
    assert shown.returncode == 0, shown.stderr
    first, *reasons = shown.stdout.splitlines()
    assert first == f"intent {job.id} is open: not claimable now"
    assert any(line.startswith("  delayed: ") for line in reasons)
    document = json.loads(cli("explain", job.id, "--json").stdout)
    assert document["claimable_now"] is False
    assert "delayed" in [r["code"] for r in document["reasons"]]
    assert_one_line_error(cli("explain", "nope"), 1, "not found")


def test_show_prints_the_intent_in_full_with_its_concurrency_key(
    cli: Cli, client: IntentClient, sqlite_server: ServerHandle, tenant_key: str
) -> None:
    job = client.publish("render", {"page": 3}, concurrency_key="customer-42")
    plain = client.publish("render", {"page": 4})

    shown = cli("show", job.id)
    assert shown.returncode == 0, shown.stderr
    lines = dict(line.split(None, 1) for line in shown.stdout.splitlines())
    assert lines["concurrency_key"] == "customer-42"
    assert lines["payload"] == '{"page": 3}' and lines["status"] == "open"
    assert "20" in lines["created_at"]  # a date, not an epoch float
    document = json.loads(cli("show", job.id, "--json").stdout)
    api = Api(sqlite_server.url, tenant_key)
    try:
        answered = api.get(f"/intents/{job.id}").json()
    finally:
        api.close()
    # The server leaves `progress` out until a worker reports one; the CLI
    # shows every field of the model, so it says null.
    assert document == answered | {"progress": None}
    assert document["concurrency_key"] == "customer-42"
    assert json.loads(cli("show", plain.id, "--json").stdout)["concurrency_key"] is None
    assert "concurrency_key" not in cli("show", plain.id).stdout  # nulls left out
    assert_one_line_error(cli("show", "nope"), 1, "not found")


def test_owner_uses_the_admin_key_and_narrows_to_one_tenant(
    cli: Cli, client: IntentClient, sqlite_server: ServerHandle
) -> None:
    mine = client.publish("g", {})
    other = IntentClient(sqlite_server.url, api_key=sqlite_server.create_tenant("bob"))
    with other:
        theirs = other.publish("g", {})
    admin_env = {"INTENT_BUS_ADMIN_KEY": sqlite_server.admin_key}
    shown = cli("intents", "--owner", "bob", "--json", env=admin_env, key=None)
    assert shown.returncode == 0, shown.stderr
    assert [r["id"] for r in json.loads(shown.stdout)["intents"]] == [theirs.id]
    own = json.loads(cli("intents", "--json").stdout)["intents"]
    assert [r["id"] for r in own] == [mine.id]
    refused = cli("intents", "--owner", "bob")
    assert_one_line_error(refused, 1, "owner")
