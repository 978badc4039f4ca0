"""WorkerRuntime against a live server: handler time limits, the line logged
per finished intent, and retry messages during an outage."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from intent_bus import JobContext, current_job
from intent_bus.sdk.client import IntentClient
from intent_bus.server.settings import Settings
from intent_bus.worker.runtime import WorkerRuntime
from tests.harness import ServerHandle, running_server
from tests.worker.support import SwitchableProxy, listening, result_of, wait_for


def test_a_handler_past_its_timeout_fails_the_intent_and_frees_its_slot(
    client: IntentClient,
) -> None:
    release = threading.Event()
    seen_timed_out: list[bool] = []

    def handler(payload: Any) -> str:
        if payload["n"] == 0:
            release.wait(20)  # hangs until the test lets it go
            seen_timed_out.append(current_job().timed_out)
            return "too late"
        return "quick"

    hung = client.publish("work", {"n": 0}, max_attempts=1)
    next_one = client.publish("work", {"n": 1})
    runtime = WorkerRuntime(client, poll_interval=0.2, timeout=0.5)
    try:
        with listening(runtime, "work", handler):
            # One slot: the second intent runs only because the hung handler's
            # slot was given up at its deadline.
            assert result_of(client, next_one.id).result == "quick"
            failed = client.get_status(hung.id)
            assert (failed.status, failed.error) == (
                "dead",
                "handler timed out after 0.5 s",
            )
    finally:
        release.set()
    wait_for(lambda: seen_timed_out, what="the hung handler to return")
    assert seen_timed_out == [True]
    # Its late answer changed nothing.
    assert client.get_status(hung.id).error == "handler timed out after 0.5 s"


def test_timeout_must_be_positive(client: IntentClient) -> None:
    with pytest.raises(ValueError, match="timeout must be > 0"):
        WorkerRuntime(client, timeout=0)


def test_each_finished_intent_is_one_info_line(
    client: IntentClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="intent_bus.worker")
    good = client.publish("work", {"ok": True})
    bad = client.publish("work", {"ok": False}, max_attempts=1)
    runtime = WorkerRuntime(client, poll_interval=0.2)

    def handler(payload: Any) -> bool:
        return bool(payload["ok"])

    with listening(runtime, "work", handler):
        result_of(client, good.id)
        result_of(client, bad.id)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    [fulfilled] = [line for line in lines if good.id in line]
    [failed] = [line for line in lines if bad.id in line]
    assert fulfilled.startswith(f"intent {good.id} (goal work) fulfilled in ")
    assert fulfilled.endswith(" s")
    assert failed.startswith(f"intent {bad.id} (goal work) failed (")


def test_retry_messages_name_the_server_and_waits_stay_short(
    sqlite_server: ServerHandle, tenant_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = sqlite_server.url.removeprefix("http://").split(":")
    proxy = SwitchableProxy(host, int(port))
    caplog.set_level(logging.WARNING, logger="intent_bus.worker")
    try:
        with IntentClient(proxy.url, api_key=tenant_key) as via_proxy:
            # The default backoff: capped at a few seconds during an outage.
            runtime = WorkerRuntime(via_proxy, poll_interval=0.2)
            started = time.monotonic()
            with listening(runtime, "work", lambda payload: None):
                wait_for(
                    lambda: (
                        sum("claim failed" in r.message for r in caplog.records) >= 5
                    ),
                    what="failed claims while the server is away",
                )
            elapsed = time.monotonic() - started
    finally:
        proxy.close()
    failures = [r.getMessage() for r in caplog.records if "claim failed" in r.message]
    assert all(f"claim failed at {proxy.url} (" in line for line in failures)
    waits = [float(line.rsplit("retrying in ", 1)[1].split()[0]) for line in failures]
    assert max(waits) <= 5.0
    assert elapsed < 30


def test_a_cancelled_long_job_is_seen_by_its_handler_which_stops_early(
    tmp_path: Path,
) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}", claim_timeout=2)
    with running_server(settings) as server:
        key = server.create_tenant()
        with IntentClient(server.url, api_key=key) as client:
            started = threading.Event()
            stopped_early: list[bool] = []
            outcomes: list[Any] = []

            def long_job(payload: Any, job: JobContext) -> str:
                assert job is current_job()
                started.set()
                # Up to 30 s of work, checked between steps.
                stopped_early.append(job.wait_stop(30))
                return "partial"

            job = client.publish("long", {})
            runtime = WorkerRuntime(
                client,
                poll_interval=0.2,
                on_outcome=lambda intent, verdict, ok: outcomes.append(ok),
            )
            begun = time.monotonic()
            with listening(runtime, "long", long_job):
                assert started.wait(10)
                asked = client.cancel(job.id)
                assert (asked.status, asked.cancel_requested) == ("claimed", True)
                ended = wait_for(
                    lambda: client.get_result(job.id), what="the cancelled intent"
                )
            assert time.monotonic() - begun < 15
            assert stopped_early == [True]
            assert ended.status == "cancelled"
            assert outcomes == [True]


def test_cancel_is_seen_through_current_job_by_one_argument_handlers(
    tmp_path: Path,
) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}", claim_timeout=2)
    with running_server(settings) as server:
        key = server.create_tenant()
        with IntentClient(server.url, api_key=key) as client:
            started = threading.Event()

            def seed_style(payload: Any) -> None:
                started.set()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if current_job().cancel_requested:
                        return None
                    time.sleep(0.05)
                raise AssertionError("never saw the cancel")

            job = client.publish("long", {})
            runtime = WorkerRuntime(client, poll_interval=0.2)
            with listening(runtime, "long", seed_style):
                assert started.wait(10)
                client.cancel(job.id)
                ended = wait_for(lambda: client.get_result(job.id), what="the end")
            assert ended.status == "cancelled"
