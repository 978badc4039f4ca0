"""The handler pool: lazy threads, one queue, a failing job kills no thread."""

from __future__ import annotations

import threading

import pytest

from intent_bus.worker.pool import HandlerPool


def test_threads_start_with_jobs_up_to_the_size_and_run_every_job() -> None:
    done: list[int] = []
    lock = threading.Lock()

    def run(job: int) -> None:
        with lock:
            done.append(job)

    pool = HandlerPool(2, run, str)
    assert pool.threads == []
    for job in range(5):
        pool.submit(job)
    assert len(pool.threads) == 2
    pool.close()
    pool.join()
    assert sorted(done) == [0, 1, 2, 3, 4]


def test_a_job_that_raises_is_logged_and_the_thread_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    def run(job: str) -> None:
        if job == "bad":
            raise RuntimeError("bug")
        done.append(job)

    pool = HandlerPool(1, run, lambda job: f"id-{job}")
    pool.submit("bad")
    pool.submit("good")
    pool.close()
    pool.join()
    assert done == ["good"]
    assert "worker failed on intent id-bad" in caplog.text
