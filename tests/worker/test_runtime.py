"""WorkerRuntime against a live server: handler outcomes, isolation, pacing,
lease renewal, concurrency and stopping."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.exceptions import IntentBusAuthError
from intent_bus.sdk.models import ClaimedIntent, IntentStatus
from intent_bus.server.settings import Settings
from intent_bus.worker.runtime import WorkerRuntime, default_worker_id
from tests.harness import ServerHandle, running_server
from tests.worker.support import (
    RecordingClient,
    SwitchableProxy,
    listening,
    result_of,
    wait_for,
)


def runtime_for(client: Any, **kw: Any) -> WorkerRuntime:
    kw.setdefault("poll_interval", 0.5)
    kw.setdefault("max_backoff", 0.5)
    return WorkerRuntime(client, **kw)


def handled(client: IntentClient, value: Any, **publish: Any) -> Any:
    """Publishes one intent, runs a worker whose handler returns `value`, and
    returns the intent's result."""
    job = client.publish("work", {"n": 1}, **publish)
    with listening(runtime_for(client), "work", lambda payload: value):
        return result_of(client, job.id)


def test_returned_value_fulfills_with_it_as_json(client: IntentClient) -> None:
    result = handled(client, {"thumb": "out.png", "sizes": [1, 2]})
    assert result.status == "fulfilled"
    assert result.result == {"thumb": "out.png", "sizes": [1, 2]}
    assert result.result_type == "json"


def test_returned_string_fulfills_as_text(client: IntentClient) -> None:
    result = handled(client, "Done")
    assert (result.status, result.result, result.result_type) == (
        "fulfilled",
        "Done",
        "text",
    )


def test_readme_envelope_sets_result_and_type(client: IntentClient) -> None:
    result = handled(client, {"result": "resized", "result_type": "text"})
    assert (result.result, result.result_type) == ("resized", "text")
    result = handled(client, {"result": {"status": "success"}, "result_type": "json"})
    assert (result.result, result.result_type) == ({"status": "success"}, "json")


def test_none_fulfills_without_result(client: IntentClient) -> None:
    result = handled(client, None)
    assert result.status == "fulfilled"
    assert result.result is None


def test_false_fails_the_intent(client: IntentClient) -> None:
    result = handled(client, False, max_attempts=1)
    assert result.status == "dead"
    assert result.error == "handler returned False"


def test_false_with_attempts_left_reopens_the_intent(client: IntentClient) -> None:
    job = client.publish("work", {}, max_attempts=3, backoff_base=60)
    with listening(runtime_for(client), "work", lambda payload: False):

        def reopened() -> IntentStatus | None:
            status = client.get_status(job.id)
            if status.status == "open" and status.claim_attempts == 1:
                return status
            return None

        status = wait_for(reopened, what="the intent to be reopened")
    assert status.error == "handler returned False"


def test_exception_fails_the_intent_is_logged_and_the_worker_goes_on(
    client: IntentClient, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(payload: dict[str, Any]) -> str:
        if payload["bad"]:
            raise ValueError("cannot parse url")
        return "ok"

    caplog.set_level(logging.ERROR, logger="intent_bus.worker")
    bad = client.publish("work", {"bad": True}, max_attempts=1, priority=200)
    good = client.publish("work", {"bad": False})
    with listening(runtime_for(client), "work", handler):
        failed = result_of(client, bad.id)
        ok = result_of(client, good.id)
    assert (failed.status, failed.error) == ("dead", "ValueError: cannot parse url")
    assert (ok.status, ok.result) == ("fulfilled", "ok")
    assert any(
        r.exc_info and "cannot parse url" in str(r.exc_info[1]) for r in caplog.records
    )


def test_full_envelope_hands_over_the_claimed_intent(client: IntentClient) -> None:
    seen: list[ClaimedIntent] = []

    def handler(intent: ClaimedIntent) -> None:
        seen.append(intent)

    job = client.publish("work", {"n": 7}, namespace="media")
    runtime = runtime_for(client, worker_id="node-01")
    with listening(runtime, "work", handler, namespace="media", full_envelope=True):
        result_of(client, job.id)
    assert isinstance(seen[0], ClaimedIntent)
    assert (seen[0].id, seen[0].payload, seen[0].namespace) == (
        job.id,
        {"n": 7},
        "media",
    )


def test_worker_id_and_capabilities_reach_the_server(client: IntentClient) -> None:
    targeted = client.publish("work", 1, target_worker="node-alpha")
    gpu = client.publish("work", 2, required_capability="a100")
    runtime = runtime_for(client, worker_id="node-alpha", capabilities="gpu, a100")
    with listening(runtime, "work", lambda payload: payload):
        assert result_of(client, targeted.id).result == 1
        assert result_of(client, gpu.id).result == 2


def test_unsendable_result_fails_the_intent_instead_of_leaving_it(
    client: IntentClient,
) -> None:
    # Over the server's body limit: fulfill is refused, so the runtime fails
    # the intent with the reason rather than let its lease expire.
    result = handled(client, "x" * 300_000, max_attempts=1)
    assert result.status == "dead"
    assert (result.error or "").startswith("could not report the result")


def test_default_worker_id_names_host_and_process() -> None:
    import os
    import socket

    assert default_worker_id() == f"{socket.gethostname()}-{os.getpid()}"


def test_constructor_checks_its_arguments(client: IntentClient) -> None:
    with pytest.raises(ValueError):
        WorkerRuntime(client, concurrency=0)
    with pytest.raises(ValueError):
        WorkerRuntime(client, poll_interval=0)


def test_refused_key_raises_from_listen(sqlite_server: ServerHandle) -> None:
    with IntentClient(sqlite_server.url, api_key="tk_not_a_key") as bad:
        runtime = runtime_for(bad)
        with pytest.raises(IntentBusAuthError):
            runtime.listen("work", lambda payload: None)


def test_stop_from_another_thread_returns_promptly(client: IntentClient) -> None:
    runtime = runtime_for(client, poll_interval=1.0)
    with listening(runtime, "work", lambda payload: None) as thread:
        time.sleep(0.3)
        started = time.monotonic()
        runtime.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()
    # At most one long-poll (1 s here) plus a little.
    assert time.monotonic() - started < 5


def test_api_key_never_logged_and_payload_redacted(
    client: IntentClient, tenant_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="intent_bus")
    job = client.publish("work", {"url": "u", "db": {"password": "hunter2"}})
    with listening(runtime_for(client), "work", lambda payload: None):
        result_of(client, job.id)
    assert job.id in caplog.text
    assert "hunter2" not in caplog.text
    assert tenant_key not in caplog.text


def test_empty_claims_honour_retry_after(tmp_path: Path) -> None:
    # The server suggests Retry-After: 2 on an empty claim. The worker's own
    # interval (and long-poll) is 0.2 s, so without honouring the hint it
    # would claim again within about 0.2 s.
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}", poll_interval=2.0)
    with running_server(settings) as server:
        key = server.create_tenant()
        with IntentClient(server.url, api_key=key) as real:
            client = RecordingClient(real)
            runtime = runtime_for(client, poll_interval=0.2)
            with listening(runtime, "work", lambda payload: None):
                wait_for(lambda: len(client.claims) >= 2, 30, "two claims")
    (first, response), (second, _) = client.claims[:2]
    assert not response
    assert response.retry_after == 2
    assert second - first >= 1.8


def test_long_poll_picks_up_work_at_once(client: IntentClient) -> None:
    runtime = runtime_for(client, poll_interval=4.0)
    with listening(runtime, "work", lambda payload: "seen"):
        time.sleep(0.3)  # the worker is now inside a 4 s long-poll
        published = time.monotonic()
        job = client.publish("work", {})
        result_of(client, job.id)
        assert time.monotonic() - published < 2.5


def test_worker_recovers_when_the_server_comes_back(
    sqlite_server: ServerHandle,
    client: IntentClient,
    tenant_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    host, port = sqlite_server.url.removeprefix("http://").split(":")
    proxy = SwitchableProxy(host, int(port))
    caplog.set_level(logging.WARNING, logger="intent_bus.worker")
    try:
        with IntentClient(proxy.url, api_key=tenant_key) as via_proxy:
            runtime = runtime_for(via_proxy, max_backoff=0.3)
            with listening(runtime, "work", lambda payload: "back"):
                wait_for(
                    lambda: (
                        sum("claim failed" in r.message for r in caplog.records) >= 2
                    ),
                    what="failed claims while the server is away",
                )
                job = client.publish("work", {})
                proxy.up = True
                assert result_of(client, job.id).result == "back"
    finally:
        proxy.close()


def test_leases_of_two_concurrent_handlers_three_times_the_claim_timeout_are_renewed(
    tmp_path: Path,
) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}", claim_timeout=2)
    with running_server(settings) as server:
        key = server.create_tenant()
        with (
            IntentClient(server.url, api_key=key) as client,
            IntentClient(server.url, api_key=key) as rival,
        ):
            never = threading.Event()

            def slow(payload: Any) -> str:
                never.wait(6.0)  # three claim timeouts
                return f"slow but done {payload}"

            jobs = [client.publish("work", n) for n in range(2)]
            # One keeper thread renews both leases.
            runtime = runtime_for(client, concurrency=2)
            stolen = []
            with listening(runtime, "work", slow):
                wait_for(
                    lambda: all(
                        client.get_status(job.id).status == "claimed" for job in jobs
                    )
                )
                deadline = time.monotonic() + 6.5
                while time.monotonic() < deadline:
                    got = rival.claim(goal="work", worker_id="rival")
                    if got:
                        stolen.append(got)
                    time.sleep(0.3)
                results = [result_of(client, job.id) for job in jobs]
    assert not stolen, "another worker claimed an intent mid-handler"
    for n, result in enumerate(results):
        assert (result.status, result.result) == ("fulfilled", f"slow but done {n}")
        assert result.claim_attempts == 1


def test_concurrency_runs_handlers_at_the_same_time(client: IntentClient) -> None:
    barrier = threading.Barrier(3, timeout=15)
    running = 0
    peak = 0
    lock = threading.Lock()

    def handler(payload: Any) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            if payload < 3:
                barrier.wait()  # passes only when three handlers overlap
            else:
                time.sleep(0.2)
            return payload
        finally:
            with lock:
                running -= 1

    jobs = [client.publish("work", n) for n in range(6)]
    runtime = runtime_for(client, concurrency=3)
    with listening(runtime, "work", handler):
        results = [result_of(client, job.id) for job in jobs]
    assert [r.result for r in results] == list(range(6))
    assert peak == 3  # never more handlers than slots


def test_graceful_stop_lets_the_running_handler_finish(client: IntentClient) -> None:
    started = threading.Event()

    def handler(payload: Any) -> str:
        started.set()
        time.sleep(1.0)
        return "finished"

    job = client.publish("work", {})
    second = client.publish("work", {})
    runtime = runtime_for(client)
    with listening(runtime, "work", handler) as thread:
        assert started.wait(20)
        runtime.stop()
        thread.join(timeout=20)
    assert client.get_result(job.id) is not None
    assert client.get_result(job.id).result == "finished"  # type: ignore[union-attr]
    # Stopped before the second was claimed: it is still open for others.
    assert client.get_status(second.id).status == "open"


def test_process_one_handles_exactly_one(client: IntentClient) -> None:
    jobs = [client.publish("work", n) for n in range(2)]
    runtime = runtime_for(client)
    done = runtime.process_one("work", lambda payload: payload * 10)
    assert done is not None
    assert done.reported and done.outcome.result == 0
    assert client.get_status(jobs[1].id).status == "open"
    assert runtime.process_one("none", lambda payload: None) is None


def test_on_outcome_hook_sees_each_verdict(client: IntentClient) -> None:
    seen: list[tuple[str, str, bool]] = []
    job = client.publish("work", {})
    runtime = runtime_for(
        client, on_outcome=lambda i, o, ok: seen.append((i.id, o.action, ok))
    )
    with listening(runtime, "work", lambda payload: 1):
        result_of(client, job.id)
        wait_for(lambda: seen)
    assert seen == [(job.id, "fulfill", True)]
