"""Intent Bus: a real server process on a fresh SQLite file (started with the
helpers of bench/e2e.py), published to with the SDK's `IntentClient` and drained
by `WorkerRuntime` in each worker process.

Three ways, to compare in one run
(`--only intent-bus,intent-bus-slots,intent-bus-batch`): `intent-bus`
publishes one by one and works with concurrency 1 (one claim, one fulfill per
job: the single-op path); `intent-bus-slots` the same with BATCH_CONCURRENCY
slots but single operations only; `intent-bus-batch` publishes with
`publish_many` and works with BATCH_CONCURRENCY slots, so each worker claims
as many as it has free slots in one request and reports
verdicts in batches (POST /claim?max=N, POST /complete)."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

from e2e import create_tenant, servers
from meter import Meter
from peer import Peer

from intent_bus.sdk.client import IntentClient
from intent_bus.worker.runtime import WorkerRuntime

GOAL = "bench.noop"
NAMESPACE = "bench"
BATCH_SIZE = 1000
"""Intents per `publish_many` call: the most one POST /intents takes."""
BATCH_CONCURRENCY = 32
"""Handler slots per worker process of the batch and slots peers."""


class IntentBusPeer(Peer):
    name = "Intent Bus"
    store = "SQLite"
    packages = ("intent-bus", "starlette", "uvicorn", "msgspec", "httpx")
    publishes_many = False
    """Enqueue with `publish_many` even without `--batch`."""

    def open(self) -> dict[str, Any]:
        self._stack = contextlib.ExitStack()
        db = f"sqlite:///{self.tmp / 'intent-bus.db'}"
        port = self._stack.enter_context(servers(db, 1))[0]
        url, key = f"http://127.0.0.1:{port}", create_tenant(port)
        self._client = self._stack.enter_context(IntentClient(url, api_key=key))
        return {"url": url, "key": key}

    def publish(self, n: int) -> None:
        self._client.publish(GOAL, {"n": n}, namespace=NAMESPACE)

    def enqueue(self, count: int) -> None:
        publish_many = getattr(self._client, "publish_many", None)
        if not (self.options.batch or self.publishes_many):
            return super().enqueue(count)
        if publish_many is None:
            self.note = (
                "`--batch` asked, but this SDK has no `publish_many`:"
                " published one by one"
            )
            return super().enqueue(count)
        self.note = f"enqueued with `publish_many`, {BATCH_SIZE} per call"
        # Either publish_many(goal, payloads, namespace=...) or a list of items.
        first = next(iter(inspect.signature(publish_many).parameters), "")
        for start in range(0, count, BATCH_SIZE):
            numbers = range(start, min(count, start + BATCH_SIZE))
            if first == "goal":
                publish_many(GOAL, [{"n": n} for n in numbers], namespace=NAMESPACE)
            else:
                publish_many(
                    [
                        {"goal": GOAL, "payload": {"n": n}, "namespace": NAMESPACE}
                        for n in numbers
                    ]
                )

    def close(self) -> None:
        stack = getattr(self, "_stack", None)
        if stack is not None:
            stack.close()

    @staticmethod
    def work(config: dict[str, Any], meter: Meter) -> None:
        def noop(payload: Any) -> None:
            meter.hit()

        with IntentClient(config["url"], api_key=config["key"]) as client:
            runtime_client: Any = (
                client if config.get("batches", True) else (SingleOps(client))
            )
            worker = WorkerRuntime(
                runtime_client, concurrency=config.get("concurrency", 1)
            )
            meter.ready_and_wait()
            worker.listen(GOAL, noop, namespace=NAMESPACE)


class SingleOps:
    """The client without its batch methods: the runtime then claims one
    intent per request and reports each verdict alone, whatever its slots."""

    def __init__(self, client: IntentClient) -> None:
        self.claim = client.claim
        self.fulfill = client.fulfill
        self.fail = client.fail
        self.extend_claim = client.extend_claim
        self.base_url = client.base_url


class IntentBusSlotsPeer(IntentBusPeer):
    name = "Intent Bus (32 slots, single ops)"

    def open(self) -> dict[str, Any]:
        return {
            **super().open(),
            "concurrency": BATCH_CONCURRENCY,
            "batches": False,
        }


class IntentBusBatchPeer(IntentBusPeer):
    name = "Intent Bus (batches)"
    publishes_many = True

    def open(self) -> dict[str, Any]:
        return {**super().open(), "concurrency": BATCH_CONCURRENCY}
