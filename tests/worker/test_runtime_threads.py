"""The thread structure of WorkerRuntime against a live server: a fixed pool
of handler threads reused from job to job, one lease keeper, nothing left
running once `listen` or `process_one` returned."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from intent_bus.sdk.client import IntentClient
from intent_bus.worker.runtime import WorkerRuntime
from tests.worker.support import listening, result_of

RUNTIME_THREADS = ("intent-bus-handler-", "intent-bus-lease-keeper")


def runtime_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(RUNTIME_THREADS)]


def runtime_for(client: Any, **kw: Any) -> WorkerRuntime:
    return WorkerRuntime(client, poll_interval=0.5, max_backoff=0.5, **kw)


def test_handler_threads_are_reused_across_jobs(client: IntentClient) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def handler(payload: Any) -> Any:
        with lock:
            seen.append(threading.get_ident())
        return payload

    jobs = [client.publish("work", n) for n in range(12)]
    with listening(runtime_for(client, concurrency=2), "work", handler) as listener:
        results = [result_of(client, job.id) for job in jobs]
    assert [r.result for r in results] == list(range(12))
    assert len(seen) == 12
    assert 1 <= len(set(seen)) <= 2  # never a thread per job
    assert listener.ident not in seen  # handlers never block the claim loop


def test_no_thread_outlives_listen(client: IntentClient) -> None:
    before = runtime_threads()
    jobs = [client.publish("work", n) for n in range(5)]
    runtime = runtime_for(client, concurrency=3)
    with listening(runtime, "work", lambda payload: payload):
        for job in jobs:
            result_of(client, job.id)
        assert runtime_threads(), "the runtime should be running threads now"
    assert runtime_threads() == before == []


def test_no_thread_outlives_process_one(client: IntentClient) -> None:
    job = client.publish("work", 5)
    runtime = runtime_for(client, concurrency=4)
    done = runtime.process_one("work", lambda payload: payload + 1)
    assert done is not None and done.outcome.result == 6
    assert client.get_status(job.id).status == "fulfilled"
    assert runtime_threads() == []


def test_a_runtime_listens_again_after_a_stop(client: IntentClient) -> None:
    runtime = runtime_for(client)
    for n in range(2):
        job = client.publish("work", n)
        with listening(runtime, "work", lambda payload: payload * 10):
            assert result_of(client, job.id).result == n * 10
        assert runtime_threads() == []


class FlakyReporting:
    """A real client whose first fulfill raises an error the runtime does not
    expect (not an IntentBusError), like a bug in a wrapping client."""

    def __init__(self, client: IntentClient) -> None:
        self._client = client
        self.broken = 1

    def fulfill(self, *args: Any, **kw: Any) -> Any:
        if self.broken:
            self.broken -= 1
            raise RuntimeError("wrapper bug")
        return self._client.fulfill(*args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_an_error_while_reporting_does_not_cost_the_pool_its_thread(
    client: IntentClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="intent_bus.worker")
    first = client.publish("work", 1, priority=200)
    second = client.publish("work", 2)
    runtime = runtime_for(FlakyReporting(client), concurrency=1)
    with listening(runtime, "work", lambda payload: payload):
        # The only handler thread survived the first report's error.
        assert result_of(client, second.id).result == 2
    assert client.get_status(first.id).status == "claimed"
    assert any(
        "wrapper bug" in str(r.exc_info and r.exc_info[1]) for r in caplog.records
    )
    assert runtime_threads() == []


def test_stop_after_the_last_job_claims_nothing_more(client: IntentClient) -> None:
    claims: list[Any] = []

    class Counting:
        def __init__(self, inner: IntentClient) -> None:
            self._inner = inner

        def claim(self, **kw: Any) -> Any:
            response = self._inner.claim(**kw)
            claims.append(response)
            return response

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    client.publish("work", 1)
    runtime = runtime_for(Counting(client))
    done = threading.Event()

    def handler(payload: Any) -> Any:
        runtime.stop()
        done.set()
        return payload

    runtime.listen("work", handler)
    assert done.is_set()
    # The stop came while the only slot was busy: the loop noticed it before
    # claiming again, instead of one more long-poll.
    assert len(claims) == 1
    assert runtime_threads() == []
