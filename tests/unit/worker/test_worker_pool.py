"""The handler pool: lazy threads, the last idle thread takes the next job,
a failing job kills no thread."""

from __future__ import annotations

import threading
import time

import pytest

from intent_bus.worker.pool import HandlerPool


def wait_until(done: object) -> None:
    deadline = time.monotonic() + 5
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_threads_start_with_jobs_up_to_the_size_and_run_every_job() -> None:
    done: list[int] = []
    lock = threading.Lock()
    go = threading.Event()

    def run(job: int) -> None:
        go.wait()
        with lock:
            done.append(job)

    pool = HandlerPool(2, run, str)
    assert pool.threads == []
    for job in range(5):
        pool.submit(job)
    assert len(pool.threads) == 2  # the other three wait for a thread
    go.set()
    pool.close()
    pool.join()
    assert sorted(done) == [0, 1, 2, 3, 4]


def test_one_job_at_a_time_runs_on_the_thread_that_went_idle_last() -> None:
    """An idle worker with many slots picks up work on one warm thread, not
    on each of its threads in turn (each cold after sleeping through the
    others' jobs)."""
    ran: list[threading.Thread] = []
    go = threading.Event()

    def run(job: int) -> None:
        if job < 4:
            go.wait()
        ran.append(threading.current_thread())

    pool = HandlerPool(4, run, str)
    for job in range(4):
        pool.submit(job)
    go.set()
    wait_until(lambda: pool.idle == 4)
    last = ran[-1]
    for job in range(4, 12):
        pool.submit(job)
        wait_until(lambda job=job: len(ran) == job + 1 and pool.idle == 4)
    pool.close()
    pool.join()
    assert len(pool.threads) == 4
    assert ran[4:] == [last] * 8


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
