"""`intent-bus listen` against the live server: printing, --once, --exec,
routing options and signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error, clean_env
from tests.harness import ServerHandle
from tests.worker.support import result_of, wait_for

pytestmark = pytest.mark.slow


def test_once_prints_the_payload_redacted_and_fulfills(
    cli: Cli, client: IntentClient
) -> None:
    job = client.publish("resize", {"url": "a.png", "api_key": "s3cr3t"})
    proc = cli("listen", "resize", "--once")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"url": "a.png", "api_key": "***"}
    assert "s3cr3t" not in proc.stderr
    result = result_of(client, job.id)
    assert (result.status, result.result) == ("fulfilled", None)


def test_show_payload_prints_it_as_is(cli: Cli, client: IntentClient) -> None:
    client.publish("resize", {"token": "t0k"})
    proc = cli("listen", "resize", "--once", "--show-payload")
    assert json.loads(proc.stdout) == {"token": "t0k"}


def test_silent_prints_nothing(cli: Cli, client: IntentClient) -> None:
    job = client.publish("resize", {"a": 1})
    proc = cli("listen", "resize", "--once", "-s")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert result_of(client, job.id).status == "fulfilled"


def test_once_without_work_exits_3(cli: Cli) -> None:
    proc = cli("listen", "idle", "--once")
    assert (proc.returncode, proc.stdout) == (3, "")
    as_json = cli("listen", "idle", "--once", "--json", "--wait", "0.2")
    assert (as_json.returncode, as_json.stdout) == (3, "null\n")


def test_once_json_prints_the_outcome(cli: Cli, client: IntentClient) -> None:
    job = client.publish("g", {"x": 1})
    proc = cli("listen", "g", "--once", "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {
        "id": job.id,
        "status": "fulfilled",
        "result": None,
        "result_type": None,
    }


def test_exec_fulfills_with_the_commands_json_output(
    cli: Cli, client: IntentClient
) -> None:
    job = client.publish("sum", {"a": 2, "b": 3}, namespace="math")
    script = (
        f'{sys.executable} -c "import json,sys,os; d=json.load(sys.stdin); '
        f"print(json.dumps({{'sum': d['a']+d['b'], 'id': os.environ['INTENT_ID']}}))\""
    )
    proc = cli("listen", "sum", "-n", "math", "--once", "--exec", script, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["result"] == {"sum": 5, "id": job.id}
    result = result_of(client, job.id)
    assert (result.result, result.result_type) == ({"sum": 5, "id": job.id}, "json")


def test_exec_text_output_is_a_text_result(cli: Cli, client: IntentClient) -> None:
    job = client.publish("echo", {"w": "hi"})
    assert cli("listen", "echo", "--once", "--exec", "echo resized ok").returncode == 0
    result = result_of(client, job.id)
    assert (result.result, result.result_type) == ("resized ok", "text")


def test_exec_failure_fails_the_intent_with_stderr(
    cli: Cli, client: IntentClient
) -> None:
    job = client.publish("broken", {}, max_attempts=1)
    proc = cli("listen", "broken", "--once", "--exec", "echo no such file >&2; exit 4")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    result = result_of(client, job.id)
    assert result.status == "dead"
    assert result.error == "command exited with status 4: no such file"


def test_worker_id_capabilities_and_publisher_route_claims(
    cli: Cli, client: IntentClient, sqlite_server: ServerHandle
) -> None:
    client.publish(
        "train", {"e": 1}, target_worker="node-01", required_capability="gpu"
    )
    assert (
        cli("listen", "train", "--once", "-w", "node-02", "-c", "gpu").returncode == 3
    )
    assert cli("listen", "train", "--once", "-w", "node-01").returncode == 3
    ok = cli("listen", "train", "--once", "--worker-id", "node-01", "-c", "cpu,gpu")
    assert ok.returncode == 0

    other = sqlite_server.create_tenant("someone-else")
    with IntentClient(sqlite_server.url, api_key=other) as publisher:
        publisher.publish("mail", {}, visibility="public")
    assert cli("listen", "mail", "--once", "--publisher", "nobody").returncode == 3
    assert (
        cli("listen", "mail", "--once", "--publisher", "someone-else").returncode == 0
    )


def test_listen_usage_errors_are_one_line(cli: Cli) -> None:
    assert_one_line_error(cli("listen", "g", "--concurrency", "0"), 2, "concurrency")
    assert_one_line_error(cli("listen", "g", "--wait", "1"), 2, "--once")
    assert_one_line_error(cli("listen", "g", "--interval", "-1"), 2, "--interval")


def test_listen_with_refused_key_fails_in_one_line(cli: Cli) -> None:
    proc = cli("listen", "g", key="tk_wrong")
    assert_one_line_error(proc, 1, "authentication failed")


def test_listen_runs_until_sigterm_then_exits_0(
    sqlite_server: ServerHandle, tenant_key: str, client: IntentClient, tmp_path: Path
) -> None:
    env = clean_env(tmp_path)
    env.update(INTENT_BUS_URL=sqlite_server.url, INTENT_API_KEY=tenant_key)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intent_bus.cli.main",
            "listen",
            "job",
            "--interval",
            "0.5",
            "--concurrency",
            "2",
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        jobs = [client.publish("job", n) for n in range(3)]
        for job in jobs:
            result_of(client, job.id)
        wait_for(lambda: proc.poll() is None, 1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    outcomes = [json.loads(line) for line in out.splitlines()]
    assert sorted(o["id"] for o in outcomes) == sorted(j.id for j in jobs)
    assert {o["status"] for o in outcomes} == {"fulfilled"}
    assert tenant_key not in err
