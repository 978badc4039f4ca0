"""WorkerRuntime claims as many intents as it has free slots in one request
and reports verdicts in small batches, each acknowledged only once committed
(issue 13)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from intent_bus.sdk.client import IntentClient
from intent_bus.worker.runtime import WorkerRuntime
from tests.worker.support import listening, wait_for


class CountingClient:
    """A real IntentClient that notes each batch call; all reach the server."""

    def __init__(self, client: IntentClient) -> None:
        self._client = client
        self.claimed: list[int] = []
        self.completed: list[int] = []
        self.single_verdicts = 0
        self._lock = threading.Lock()

    def claim_many(self, max_count: int, **kw: Any) -> Any:
        batch = self._client.claim_many(max_count, **kw)
        with self._lock:
            self.claimed.append(len(batch))
        return batch

    def complete_many(self, items: Any) -> Any:
        items = list(items)
        with self._lock:
            self.completed.append(len(items))
        return self._client.complete_many(items)

    def fulfill(self, *args: Any, **kw: Any) -> Any:
        with self._lock:
            self.single_verdicts += 1
        return self._client.fulfill(*args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_many_slots_claim_and_report_in_batches(client: IntentClient) -> None:
    namespace = "wb" + uuid.uuid4().hex[:8]
    published = client.publish_many(
        [{"goal": "sum", "payload": [i, 1], "namespace": namespace} for i in range(60)]
    )
    counting = CountingClient(client)
    accepted: list[tuple[str, bool, str]] = []
    lock = threading.Lock()

    def on_outcome(intent: Any, verdict: Any, reported: bool) -> None:
        # Acknowledged only once committed: the server already has it.
        status = client.get_status(intent.id).status
        with lock:
            accepted.append((intent.id, reported, status))

    def handler(payload: list[int]) -> int:
        time.sleep(0.01)
        return sum(payload)

    runtime = WorkerRuntime(
        counting, concurrency=16, poll_interval=0.5, on_outcome=on_outcome
    )
    with listening(runtime, "sum", handler, namespace=namespace):
        wait_for(lambda: len(accepted) >= 60, what="60 outcomes")
    assert {a[0] for a in accepted} == {o.id for o in published}
    assert all(reported and status == "fulfilled" for _, reported, status in accepted)
    assert max(counting.claimed) > 1  # several leases per claim
    assert counting.completed and max(counting.completed) > 1
    assert sum(counting.completed) + counting.single_verdicts == 60
    result = client.get_result(published[7].id)
    assert result is not None and result.result == 8


def test_one_slot_uses_the_single_operations(client: IntentClient) -> None:
    namespace = "wb" + uuid.uuid4().hex[:8]
    client.publish_many([{"goal": "g", "namespace": namespace} for _ in range(3)])
    counting = CountingClient(client)
    done: list[str] = []
    runtime = WorkerRuntime(
        counting,
        concurrency=1,
        poll_interval=0.5,
        on_outcome=lambda intent, verdict, ok: done.append(intent.id),
    )
    with listening(runtime, "g", lambda payload: None, namespace=namespace):
        wait_for(lambda: len(done) >= 3, what="3 outcomes")
    assert counting.claimed == [] and counting.completed == []
    assert counting.single_verdicts == 3


def test_batched_verdicts_are_acknowledged_by_the_reporter_thread(
    client: IntentClient, caplog: Any
) -> None:
    """Without an on_outcome hook a handler thread hands its verdict on and is
    free at once; the reporter's thread acknowledges the batch once the
    server committed it (the finished line is logged there, then the slots
    are freed). With a hook, each handler thread waits and runs it itself."""
    namespace = "wb" + uuid.uuid4().hex[:8]
    client.publish_many(
        [{"goal": "g", "payload": i, "namespace": namespace} for i in range(20)]
    )
    counting = CountingClient(client)
    caplog.set_level("INFO", logger="intent_bus.worker")
    runtime = WorkerRuntime(counting, concurrency=8, poll_interval=0.5)
    handled: list[int] = []
    with listening(runtime, "g", handled.append, namespace=namespace):
        wait_for(
            lambda: sum(counting.completed) + counting.single_verdicts >= 20,
            what="20 verdicts",
        )
    finished = [r for r in caplog.records if " fulfilled in " in r.getMessage()]
    assert len(finished) == 20
    assert {r.threadName for r in finished} == {"intent-bus-reporter"}
    for intent_id in {r.getMessage().split()[1] for r in finished}:
        assert client.get_status(intent_id).status == "fulfilled"

    client.publish_many([{"goal": "h", "namespace": namespace} for _ in range(6)])
    threads: list[str] = []
    hooked = WorkerRuntime(
        CountingClient(client),
        concurrency=4,
        poll_interval=0.5,
        on_outcome=lambda i, o, ok: threads.append(threading.current_thread().name),
    )
    with listening(hooked, "h", lambda payload: None, namespace=namespace):
        wait_for(lambda: len(threads) >= 6, what="6 hooks")
    assert all(name.startswith("intent-bus-handler") for name in threads)
