"""`intent-bus publish --jsonl FILE|-`: one intent per line, in batches."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error


def test_lines_of_a_file_are_payloads_of_goal(
    cli: Cli, client: IntentClient, tmp_path: Path
) -> None:
    namespace = "j" + uuid.uuid4().hex[:8]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"n": n}) + "\n" for n in range(5)) + "\n")
    proc = cli(
        "publish", "resize", "--jsonl", str(source), "-n", namespace, "--batch", "2"
    )
    assert proc.returncode == 0, proc.stderr
    ids = proc.stdout.split()
    assert len(ids) == 5
    batch = client.claim_many(10, namespace=namespace)
    assert sorted(job.payload["n"] for job in batch) == list(range(5))
    assert {job.id for job in batch} == set(ids)


def test_lines_from_stdin_carry_their_arguments(cli: Cli, client: IntentClient) -> None:
    namespace = "j" + uuid.uuid4().hex[:8]
    lines = [
        {"goal": "a", "payload": 1, "priority": 5},
        {"goal": "b", "payload": 2, "idempotency_key": "same"},
        {"goal": "b", "payload": 3, "idempotency_key": "same"},
    ]
    proc = cli(
        "publish",
        "--jsonl",
        "-",
        "-n",
        namespace,
        "--json",
        input="".join(json.dumps(line) + "\n" for line in lines),
    )
    assert proc.returncode == 1, proc.stderr  # the reused key was refused
    outcomes = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["outcome"] for o in outcomes] == ["created", "created", "error"]
    assert outcomes[2]["error_code"] == "conflict"
    batch = client.claim_many(10, namespace=namespace)
    assert [(job.goal, job.priority) for job in batch] == [("b", 100), ("a", 5)]


def test_concurrency_keys_from_the_option_and_from_a_line(
    cli: Cli, client: IntentClient, tmp_path: Path
) -> None:
    namespace = "j" + uuid.uuid4().hex[:8]
    source = tmp_path / "keys.jsonl"
    lines = [{"goal": "a"}, {"goal": "a", "concurrency_key": "own"}]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    proc = cli(
        "publish", "--jsonl", str(source), "-n", namespace, "--concurrency-key", "opt"
    )
    assert proc.returncode == 0, proc.stderr
    keys = [client.get_intent(i).concurrency_key for i in proc.stdout.split()]
    assert keys == ["opt", "own"]


def test_bad_lines_refuse_before_sending(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"goal": "a"}\nnot json\n')
    assert_one_line_error(cli("publish", "--jsonl", str(source)), 2, "line 2")
    source.write_text('{"payload": 1}\n')
    assert_one_line_error(cli("publish", "--jsonl", str(source)), 2, "line 1")
    assert_one_line_error(cli("publish"), 2, "GOAL")
