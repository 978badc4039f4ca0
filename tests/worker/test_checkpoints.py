"""Handlers read and save checkpoints through their JobContext: a save waits
for the next lease renewal (or goes at once with now=True), a failing handler's
last save is sent before its failure, and the retry resumes from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.server.settings import Settings
from intent_bus.worker.context import JobContext
from intent_bus.worker.runtime import WorkerRuntime
from tests.harness import ServerHandle, running_server
from tests.worker.support import listening, result_of, wait_for


def runtime_for(client: IntentClient) -> WorkerRuntime:
    return WorkerRuntime(client, poll_interval=0.2, max_backoff=0.2)


def test_a_failed_attempts_checkpoint_reaches_the_retry(client: IntentClient) -> None:
    job = client.publish("steps", {}, max_attempts=2, backoff_base=0.01)
    seen: list[Any] = []

    def handler(payload: Any, job: JobContext) -> Any:
        seen.append(job.checkpoint)
        if job.checkpoint is None:
            # Saved without `now`: no renewal comes before the failure, so
            # the runtime sends it ahead of the fail.
            assert job.save_checkpoint({"step": 1}, progress="1 of 2") is True
            raise RuntimeError("crashed after step 1")
        return {"resumed": job.checkpoint}

    with listening(runtime_for(client), "steps", handler):
        result = result_of(client, job.id)

    assert seen == [None, {"step": 1}]
    assert result.status == "fulfilled" and result.result == {"resumed": {"step": 1}}


def test_an_invalid_save_raises_in_the_handler(client: IntentClient) -> None:
    job = client.publish("bad", {}, max_attempts=1)
    errors: list[str] = []

    def handler(payload: Any, job: JobContext) -> None:
        for checkpoint, progress in (({"a": 1}, 2.0), ("x" * 70_000, None)):
            try:
                job.save_checkpoint(checkpoint, progress=progress)
            except IntentBusError as exc:
                errors.append(str(exc))

    with listening(runtime_for(client), "bad", handler):
        assert result_of(client, job.id).status == "fulfilled"
    assert len(errors) == 2
    assert "progress" in errors[0] and "checkpoint" in errors[1]


@pytest.fixture
def short_lease_server(tmp_path: Path) -> Iterator[ServerHandle]:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}", claim_timeout=1)
    with running_server(settings) as handle:
        yield handle


def test_a_save_rides_on_the_next_lease_renewal(
    short_lease_server: ServerHandle,
) -> None:
    key = short_lease_server.create_tenant()
    with IntentClient(base_url=short_lease_server.url, api_key=key) as client:
        job = client.publish("slow", {})

        def handler(payload: Any, ctx: JobContext) -> None:
            ctx.report_progress(0.25)
            wait_for(lambda: client.get_status(job.id).progress == 0.25, timeout=5)

        with listening(runtime_for(client), "slow", handler):
            assert result_of(client, job.id).status == "fulfilled"
        # Fulfilling clears what was reported.
        assert client.get_status(job.id).progress is None
