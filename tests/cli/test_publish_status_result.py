"""`intent-bus publish`, `status` and `result` against the live server."""

from __future__ import annotations

import json
import re

import pytest

from intent_bus.sdk.client import IntentClient
from intent_bus.worker.runtime import WorkerRuntime
from tests.cli.conftest import Cli, assert_one_line_error
from tests.harness import ServerHandle
from tests.worker.support import listening, result_of

pytestmark = pytest.mark.slow

ID = re.compile(r"^[0-9a-f]{32}$")


def test_publish_prints_the_new_id(cli: Cli, client: IntentClient) -> None:
    proc = cli(
        "publish", "process_image", '{"url": "https://x"}', "--namespace", "media"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    intent_id = proc.stdout.strip()
    assert ID.match(intent_id)
    status = client.get_status(intent_id)
    assert (status.goal, status.namespace, status.status) == (
        "process_image",
        "media",
        "open",
    )


def test_publish_options_reach_the_server(cli: Cli, client: IntentClient) -> None:
    proc = cli(
        "publish",
        "send_email",
        '{"to": "user@ext.com"}',
        "-n",
        "comms",
        "--public",
        "--priority",
        "999",
        "--delay",
        "3600",
        "--max-attempts",
        "5",
        "--backoff",
        "2",
        "--target",
        "node-alpha-01",
        "--capability",
        "a100_gpu",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    view = json.loads(proc.stdout)
    assert ID.match(view["id"])
    assert view["status"] == "open"
    assert (view["visibility"], view["priority"], view["max_attempts"]) == (
        "public",
        999,
        5,
    )
    assert (view["target_worker"], view["required_capability"]) == (
        "node-alpha-01",
        "a100_gpu",
    )
    assert view["run_at"] - view["created_at"] == pytest.approx(3600, abs=1)
    assert client.get_status(view["id"]).visibility == "public"


def test_publish_with_the_same_idempotency_key_creates_one_intent(cli: Cli) -> None:
    first = cli("publish", "g", "[1]", "--idempotency", "order-42")
    again = cli("publish", "g", "[1]", "--idempotency", "order-42")
    assert first.returncode == again.returncode == 0
    assert first.stdout == again.stdout


def test_publish_wait_prints_the_result(cli: Cli, client: IntentClient) -> None:
    runtime = WorkerRuntime(client, poll_interval=0.5)
    with listening(runtime, "double", lambda n: n * 2):
        plain = cli("publish", "double", "21", "--wait")
        as_json = cli("publish", "double", "4", "--wait", "30", "--json")
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, "42\n", "")
    view = json.loads(as_json.stdout)
    assert (view["status"], view["result"], view["result_type"]) == (
        "fulfilled",
        8,
        "json",
    )
    assert ID.match(view["id"])


def test_publish_wait_times_out_with_exit_3(cli: Cli) -> None:
    proc = cli("publish", "nobody_listens", "{}", "--wait", "0.5")
    assert_one_line_error(proc, 3, "no result after 0.5 s", "is open")


def test_publish_wait_for_an_intent_that_dies_exits_1(
    cli: Cli, client: IntentClient
) -> None:
    runtime = WorkerRuntime(client, poll_interval=0.5)
    with listening(runtime, "doomed", lambda p: False):
        proc = cli("publish", "doomed", "{}", "--max-attempts", "1", "--wait", "30")
    assert_one_line_error(proc, 1, "is dead: handler returned False")


def test_status_human_and_json(cli: Cli, client: IntentClient) -> None:
    job = client.publish("g", {"a": 1}, namespace="ns")
    human = cli("status", job.id)
    assert human.returncode == 0
    fields = dict(line.split(None, 1) for line in human.stdout.splitlines())
    assert (fields["id"], fields["status"], fields["namespace"]) == (
        job.id,
        "open",
        "ns",
    )
    view = json.loads(cli("status", job.id, "--json").stdout)
    assert (view["id"], view["status"], view["goal"]) == (job.id, "open", "g")


def test_result_before_and_after_the_intent_finished(
    cli: Cli, client: IntentClient
) -> None:
    text_job = client.publish("g", {})
    json_job = client.publish("g", {})
    pending = cli("result", text_job.id)
    assert_one_line_error(pending, 3, "is open", "no result yet")
    pending_json = cli("result", text_job.id, "--json")
    assert pending_json.returncode == 3
    assert json.loads(pending_json.stdout)["status"] == "open"

    for job, value in ((text_job, "multi\nline text"), (json_job, {"k": [1]})):
        claimed = client.claim(goal="g")
        assert claimed.id == job.id
        if isinstance(value, str):
            client.fulfill(claimed.id, result=value, result_type="text")
        else:
            client.fulfill(claimed.id, result=value)
    assert cli("result", text_job.id).stdout == "multi\nline text\n"
    assert cli("result", json_job.id).stdout == '{"k": [1]}\n'
    view = json.loads(cli("result", json_job.id, "--json").stdout)
    assert (view["id"], view["result"], view["completed_at"] > 0) == (
        json_job.id,
        {"k": [1]},
        True,
    )


def test_result_wait_returns_once_fulfilled(cli: Cli, client: IntentClient) -> None:
    job = client.publish("later", "x")
    runtime = WorkerRuntime(client, poll_interval=0.5)
    with listening(runtime, "later", lambda p: p.upper()):
        proc = cli("result", job.id, "--wait", "30")
    assert (proc.returncode, proc.stdout) == (0, "X\n")
    assert result_of(client, job.id).result == "X"


def test_status_and_result_of_unknown_intent_say_not_found(cli: Cli) -> None:
    for command in ("status", "result"):
        proc = cli(command, "0" * 32)
        assert_one_line_error(proc, 1, "not found")


def test_intents_of_another_tenant_are_not_found(
    cli: Cli, client: IntentClient, sqlite_server: ServerHandle
) -> None:
    job = client.publish("g", {})
    other = sqlite_server.create_tenant()
    assert_one_line_error(cli("status", job.id, key=other), 1, "not found")
