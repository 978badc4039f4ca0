"""The seed README's worker example and CLI commands, run as written.

The README documents a blocking `WorkerRuntime.listen` and an `intent-bus`
command line; users copy them verbatim, so they are run here verbatim (only
the indentation the README's rendering lost is restored), against a live
server whose URL and tenant key come from the environment as the README says.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from intent_bus.sdk.client import IntentClient
from tests.harness import ServerHandle
from tests.worker.support import result_of, wait_for

pytestmark = pytest.mark.slow

README_PUBLISH = textwrap.dedent(
    """
    from intent_bus import IntentClient
    with IntentClient() as client:
        # Intents have strict namespace-scoped isolation by default
        job = client.publish(
            goal="process_image",
            payload={"url": "s3://bucket/image1.png"},
            namespace="media",
            priority=100
        )
        print(f"Published Job ID: {job.id}")
    """
)

README_WORKER = textwrap.dedent(
    """
    from typing import Any
    from intent_bus import IntentClient, WorkerRuntime

    def image_handler(payload: Any) -> dict:
        print(f"Processing: {payload.get('url')}")
        # When using WorkerRuntime, returning a supported result payload automatically fulfills the intent.
        return {"result": {"status": "success", "file": "out.png"}, "result_type": "json"}

    client = IntentClient()
    runtime = WorkerRuntime(client=client, capabilities=["gpu", "ffmpeg"])

    # Blocks and listens indefinitely, honoring server backoffs
    runtime.listen(
        goal="process_image",
        handler=image_handler,
        namespace="media"
    )
    """  # noqa: E501
)


@pytest.fixture
def env(sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path) -> dict[str, str]:
    """The README's setup: the key in INTENT_API_KEY, the bus URL in the
    environment, the installed `intent-bus` on PATH."""
    home = tmp_path / "home"
    home.mkdir()
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INTENT_API_KEY", "INTENT_BUS_"))
    }
    bin_dir = str(Path(sys.executable).parent)
    environ.update(
        HOME=str(home),
        INTENT_API_KEY=tenant_key,
        INTENT_BUS_URL=sqlite_server.url,
        PATH=bin_dir + os.pathsep + environ.get("PATH", ""),
        PYTHONUNBUFFERED="1",
    )
    return environ


@pytest.fixture
def client(sqlite_server: ServerHandle, tenant_key: str) -> Iterator[IntentClient]:
    with IntentClient(base_url=sqlite_server.url, api_key=tenant_key) as c:
        yield c


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def sh(
    command: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Runs a README shell line as a user would type it."""
    return subprocess.run(
        ["bash", "-c", command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spawn(
    argv: list[str], env: dict[str, str], cwd: Path, procs: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs.append(proc)
    return proc


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def test_readme_worker_example_fulfills_the_published_job(
    env: dict[str, str],
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
    client: IntentClient,
) -> None:
    worker = spawn([sys.executable, "-c", README_WORKER], env, tmp_path, processes)
    published = subprocess.run(
        [sys.executable, "-c", README_PUBLISH],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert published.stdout.startswith("Published Job ID: ")
    job_id = published.stdout.split(": ", 1)[1].strip()

    result = result_of(client, job_id, timeout=30)
    assert (result.status, result.result, result.result_type) == (
        "fulfilled",
        {"status": "success", "file": "out.png"},
        "json",
    )
    code, out, err = stop(worker)
    assert code == 0, err
    assert "Processing: s3://bucket/image1.png" in out
    assert "Traceback" not in err


def test_readme_cli_publish_and_listen(
    env: dict[str, str],
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
    client: IntentClient,
) -> None:
    published = sh(
        """intent-bus publish process_image '{"url": "https://..."}' --namespace media""",  # noqa: E501
        env,
        tmp_path,
    )
    assert published.returncode == 0, published.stderr
    job_id = published.stdout.strip()

    worker = spawn(
        [
            "bash",
            "-c",
            "exec intent-bus listen process_image --namespace media "
            "--worker-id node-01 -c gpu,ffmpeg",
        ],
        env,
        tmp_path,
        processes,
    )
    assert result_of(client, job_id, timeout=30).status == "fulfilled"
    wait_for(lambda: worker.poll() is None, 1)
    code, out, err = stop(worker)
    assert code == 0, err
    assert json.loads(out.splitlines()[0]) == {"url": "https://..."}  # payload dump
    assert "Traceback" not in err


def test_readme_cli_flags_silent_once_interval(
    env: dict[str, str], tmp_path: Path, client: IntentClient
) -> None:
    job = client.publish("process_image", {"url": "x"}, namespace="media")
    proc = sh(
        "intent-bus listen process_image --namespace media -s --once --interval 1",
        env,
        tmp_path,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert result_of(client, job.id).status == "fulfilled"


def test_readme_cli_public_publish_reaches_any_namespace(
    env: dict[str, str], tmp_path: Path, client: IntentClient
) -> None:
    published = sh(
        """intent-bus publish send_email '{"to": "user@ext.com"}' -n comms --public""",
        env,
        tmp_path,
    )
    assert published.returncode == 0, published.stderr
    job_id = published.stdout.strip()
    assert client.get_status(job_id).visibility == "public"
    # A worker in another namespace takes it.
    proc = sh("intent-bus listen send_email -n elsewhere --once --json", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == job_id


def test_project_readme_cli_block(
    env: dict[str, str], tmp_path: Path, sqlite_server: ServerHandle
) -> None:
    # The repository README's command-line section, line by line.
    script = tmp_path / "resize.sh"
    script.write_text('#!/bin/sh\necho "resized $(cat)"\n')
    script.chmod(0o755)
    job_id = sh(
        """intent-bus publish resize '{"url": "https://..."}'""", env, tmp_path
    ).stdout.strip()
    ran = sh("intent-bus listen resize --exec './resize.sh' --once", env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    status = sh(f"intent-bus status {job_id}", env, tmp_path)
    assert "fulfilled" in status.stdout
    result = sh(f"intent-bus result {job_id} --wait 30", env, tmp_path)
    assert result.stdout == 'resized {"url": "https://..."}\n'
    kv = sh(
        """intent-bus kv set config '{"v": 2}' --ttl 3600 && intent-bus kv get config""",  # noqa: E501
        env,
        tmp_path,
    )
    assert kv.stdout == '{"v": 2}\n'
    admin_env = dict(env, INTENT_API_KEY=sqlite_server.admin_key)
    created = sh("intent-bus keys create alice", admin_env, tmp_path)
    assert created.stdout.startswith("tk_"), created.stderr
