"""A worker killed mid-handler (SIGKILL) leaves its checkpoint behind, and
the next worker resumes from it.

Two real worker processes run `WorkerRuntime` against a live server with
2-second leases. The first runs a multi-step handler that saves a checkpoint
after each step and stalls after step 3; it is killed there. When its lease
runs out, the second worker claims the intent, gets the checkpoint, and does
only the steps that were left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intent_bus.sdk.client import IntentClient
from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server

pytestmark = pytest.mark.slow

STEPS = 6
STALL_AFTER = 3

WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    from intent_bus import IntentClient, WorkerRuntime

    url, key, log_path, stall_after = sys.argv[1:5]
    stall_after = int(stall_after)

    def log(event):
        with open(log_path, "a") as f:
            f.write(json.dumps({"pid": os.getpid(), **event}) + "\\n")

    def handler(payload, job):
        start = (job.checkpoint or {}).get("next_step", 0)
        log({"start": start, "checkpoint": job.checkpoint})
        for step in range(start, payload["steps"]):
            time.sleep(0.05)  # the work of one step
            done, step_after = (step + 1) / payload["steps"], {"next_step": step + 1}
            saved = job.save_checkpoint(step_after, progress=done, now=True)
            log({"done": step, "saved": saved})
            if step + 1 == stall_after:
                time.sleep(3600)  # killed here
        return {"resumed_at": start}

    with IntentClient(base_url=url, api_key=key) as client:
        WorkerRuntime(client=client, poll_interval=0.2).listen(
            goal="convert", handler=handler, namespace="ckpt"
        )
    """
)


def events(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def wait_until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}", claim_timeout=2)
    with running_server(settings) as handle:
        yield handle


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_the_next_worker_resumes_from_the_killed_workers_checkpoint(
    server: ServerHandle,
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    key = server.create_tenant()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    log_path = tmp_path / "steps.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start_worker(stall_after: int) -> subprocess.Popen[bytes]:
        argv = [sys.executable, str(script), server.url, key, str(log_path)]
        proc = subprocess.Popen(
            [*argv, str(stall_after)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(proc)
        return proc

    with IntentClient(base_url=server.url, api_key=key) as client:
        job = client.publish(
            goal="convert", payload={"steps": STEPS}, namespace="ckpt", max_attempts=3
        )
        first = start_worker(STALL_AFTER)
        wait_until(
            lambda: any(e.get("done") == STALL_AFTER - 1 for e in events(log_path)),
            timeout=30,
        )
        status = client.get_status(job.id)
        assert status.status == "claimed"
        assert status.progress == pytest.approx(STALL_AFTER / STEPS)

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        start_worker(stall_after=0)
        result = client.wait_for_result(job.id, timeout=30)

    assert result is not None and result.status == "fulfilled"
    assert result.result == {"resumed_at": STALL_AFTER}
    seen = events(log_path)
    by_pid: dict[object, list[dict[str, object]]] = {}
    for event in seen:
        by_pid.setdefault(event["pid"], []).append(event)
    killed, resumed = by_pid.values()
    assert killed[0] == {"pid": first.pid, "start": 0, "checkpoint": None}
    assert [e["done"] for e in killed[1:]] == list(range(STALL_AFTER))
    assert all(e["saved"] is True for e in killed[1:])
    assert resumed[0]["checkpoint"] == {"next_step": STALL_AFTER}
    assert [e["done"] for e in resumed[1:]] == list(range(STALL_AFTER, STEPS))
