"""Signals to a worker process: SIGTERM finishes the running job and exits 0;
a second signal aborts and fails the job so nothing waits for its lease."""

from __future__ import annotations

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

WORKER = textwrap.dedent(
    """
    import logging, sys, time
    from pathlib import Path
    from intent_bus import IntentClient, WorkerRuntime

    logging.basicConfig(level=logging.INFO)
    marker = Path(sys.argv[1])
    seconds = float(sys.argv[2])

    def handler(payload):
        marker.write_text("started")
        time.sleep(seconds)
        return {"slept": seconds}

    runtime = WorkerRuntime(IntentClient(), poll_interval=0.5)
    runtime.listen(goal="work", handler=handler)
    print("listen returned", flush=True)
    """
)


@pytest.fixture
def worker(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> Iterator[tuple[Path, list[subprocess.Popen[str]]]]:
    procs: list[subprocess.Popen[str]] = []
    yield tmp_path, procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def start(
    server: ServerHandle, key: str, tmp: Path, seconds: float
) -> subprocess.Popen[str]:
    env = dict(os.environ, INTENT_BUS_URL=server.url, INTENT_API_KEY=key)
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp / "started"), str(seconds)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(proc: subprocess.Popen[str], text: str) -> str:
    """Output of `proc` up to the line containing `text` (the worker logs it
    within a fraction of a second)."""
    assert proc.stdout is not None
    seen = ""
    for line in proc.stdout:
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"worker exited without printing {text!r}:\n{seen}")


def test_sigterm_mid_job_finishes_the_job_and_exits_0(
    sqlite_server: ServerHandle,
    tenant_key: str,
    worker: tuple[Path, list[subprocess.Popen[str]]],
) -> None:
    tmp, procs = worker
    with IntentClient(sqlite_server.url, api_key=tenant_key) as client:
        job = client.publish("work", {})
        later = client.publish("work", {})
        proc = start(sqlite_server, tenant_key, tmp, 1.5)
        procs.append(proc)
        wait_for(lambda: (tmp / "started").exists(), 30, "the handler to start")
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
        assert "listen returned" in output
        assert "Traceback" not in output
        result = result_of(client, job.id)
        assert (result.status, result.result) == ("fulfilled", {"slept": 1.5})
        # No new claim after the signal.
        assert client.get_status(later.id).status == "open"


def test_second_signal_aborts_and_fails_the_job(
    sqlite_server: ServerHandle,
    tenant_key: str,
    worker: tuple[Path, list[subprocess.Popen[str]]],
) -> None:
    tmp, procs = worker
    with IntentClient(sqlite_server.url, api_key=tenant_key) as client:
        job = client.publish("work", {}, max_attempts=1)
        proc = start(sqlite_server, tenant_key, tmp, 60)
        procs.append(proc)
        wait_for(lambda: (tmp / "started").exists(), 30, "the handler to start")
        proc.send_signal(signal.SIGINT)
        # Two signals sent back to back may be delivered as one: send the
        # second once the worker said it is stopping.
        seen = read_until(proc, "stopping:")
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
        output = seen + output
        assert "Traceback" not in output, output
        # Failed right away, not after the 60 s lease ran out.
        result = result_of(client, job.id, timeout=10)
        assert (result.status, result.error) == ("dead", "worker aborted")
