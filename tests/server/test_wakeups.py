"""Long-poll wake-ups over HTTP: new work wakes the one longest-waiting claimer
that could take it, nobody else, and a wake its waiter does not act on is
passed on. Observed through /metrics (waiters, wake-ups, claim lookups)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from intent_bus import protocol
from intent_bus.server.settings import Settings
from intent_bus.storage import open_store
from tests.harness import ServerHandle, running_server
from tests.pgutil import fresh_postgres_database
from tests.server.api import Api

WORKER = protocol.HEADER_WORKER_ID
CAPABILITIES = protocol.HEADER_WORKER_CAPABILITIES


def metric(server: ServerHandle, name: str) -> float:
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} missing from /metrics")


def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Waiting:
    """A long-poll claim running on its own thread."""

    def __init__(self, api: Api, query: str = "wait=10", **headers: str) -> None:
        self.response: httpx.Response | None = None
        self.done_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(api, query, headers))
        self._thread.start()

    def _run(self, api: Api, query: str, headers: dict[str, str]) -> None:
        self.response = api.claim(query, **headers)
        self.done_at = time.monotonic()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, timeout: float = 15.0) -> httpx.Response:
        self._thread.join(timeout)
        assert self.response is not None, "the claim did not return"
        return self.response


def start_waiting(
    server: ServerHandle, api: Api, query: str = "wait=10", **headers: str
) -> Waiting:
    """Starts a long-poll and returns once the server holds it, so waiters
    join in the order they were started."""
    before = metric(server, "intent_bus_claim_waiters")
    waiting = Waiting(api, query, **headers)
    until(lambda: metric(server, "intent_bus_claim_waiters") > before)
    return waiting


def test_publish_wakes_the_longest_waiting_matching_claimer_only(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice_key, bob_key = server.create_tenant(), server.create_tenant()
    alice, bob = clients(server, alice_key), clients(server, bob_key)
    alices = [start_waiting(server, clients(server, alice_key)) for _ in range(3)]
    bobs = [start_waiting(server, clients(server, bob_key), "wait=3") for _ in range(2)]
    assert metric(server, "intent_bus_claim_looks_total") == 5

    published_at = time.monotonic()
    intent = alice.publish()
    first = alices[0].result(5)

    assert first.status_code == 200
    assert first.json()["id"] == intent["id"]
    assert alices[0].done_at - published_at < 1.0
    assert metric(server, "intent_bus_claim_wakeups_total") == 1
    assert metric(server, "intent_bus_claim_looks_total") == 6  # the woken one
    assert not any(w.done for w in alices[1:] + bobs)
    assert metric(server, "intent_bus_claim_waiters") == 4
    # Bob's waiters end unwoken, with no look beyond their first.
    assert [w.result().status_code for w in bobs] == [204, 204]
    assert metric(server, "intent_bus_claim_looks_total") == 6
    bob.publish()  # nobody waits for Bob's work now; Alice's waiters stay put
    assert metric(server, "intent_bus_claim_wakeups_total") == 1
    for _ in alices[1:]:
        alice.publish()
    assert all(w.result(5).status_code == 200 for w in alices[1:])


def test_private_publish_does_not_wake_another_tenant(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    bob = start_waiting(server, clients(server), "wait=2")
    clients(server).publish()
    assert metric(server, "intent_bus_claim_wakeups_total") == 0
    assert bob.result().status_code == 204
    assert metric(server, "intent_bus_claim_looks_total") == 1


def test_public_publish_wakes_another_tenant_in_another_namespace(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    bob = start_waiting(server, clients(server), "wait=10&namespace=elsewhere")
    intent = clients(server).publish(visibility="public")
    response = bob.result(5)
    assert response.status_code == 200
    assert response.json()["id"] == intent["id"]
    assert metric(server, "intent_bus_claim_wakeups_total") == 1


def test_target_worker_and_capability_route_the_wake(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    key = server.create_tenant()
    plain = start_waiting(server, clients(server, key), "wait=3", **{WORKER: "a"})
    targeted = start_waiting(server, clients(server, key), **{WORKER: "b"})
    able = start_waiting(server, clients(server, key), **{CAPABILITIES: "ssd, gpu"})
    publisher = clients(server, key)

    for_b = publisher.publish(target_worker="b")
    assert targeted.result(5).json()["id"] == for_b["id"]
    for_gpu = publisher.publish(required_capability="gpu")
    assert able.result(5).json()["id"] == for_gpu["id"]

    assert metric(server, "intent_bus_claim_wakeups_total") == 2
    assert plain.result().status_code == 204  # woken by neither


class GatedStore:
    """A real store whose poll for worker "gated" holds its answer until
    released, so a test can act while that claimer is between look and wait."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.paused = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def intent_poll(self, query: Any, lease: Any, now: float) -> Any:
        polled = await self._inner.intent_poll(query, lease, now)
        if query.worker_id == "gated" and not self.release.is_set():
            self.paused.set()
            while not self.release.is_set():
                await asyncio.sleep(0.005)
        return polled


@pytest.fixture
def gated(db_url: str) -> Iterator[tuple[ServerHandle, GatedStore]]:
    store = GatedStore(open_store(db_url))
    settings = dataclasses.replace(Settings(db_url=db_url))
    with running_server(settings, store) as handle:  # type: ignore[arg-type]
        yield handle, store


def test_a_wake_that_came_during_a_successful_look_is_passed_on(
    gated: tuple[ServerHandle, GatedStore], clients: Callable[..., Api]
) -> None:
    server, store = gated
    key = server.create_tenant()
    publisher = clients(server, key)
    first = publisher.publish()
    gated_claim = Waiting(clients(server, key), **{WORKER: "gated"})
    store.paused.wait(10)  # it has claimed `first`, and has not answered yet
    other = start_waiting(server, clients(server, key))
    second = publisher.publish()  # wakes the gated claimer: it joined first
    assert metric(server, "intent_bus_claim_wakeups_total") == 1
    released_at = time.monotonic()
    store.release.set()

    assert gated_claim.result(5).json()["id"] == first["id"]
    assert other.result(5).json()["id"] == second["id"]
    assert other.done_at - released_at < 2.0  # not at the end of its wait
    assert metric(server, "intent_bus_claim_wakeups_total") == 2


def test_a_woken_waiter_whose_client_left_passes_the_wake_on(
    gated: tuple[ServerHandle, GatedStore], clients: Callable[..., Api]
) -> None:
    server, store = gated
    key = server.create_tenant()
    host, port = server.url.removeprefix("http://").split(":")
    gone = socket.create_connection((host, int(port)))
    gone.sendall(
        f"POST /claim?wait=10 HTTP/1.1\r\nHost: {host}\r\n"
        f"{protocol.HEADER_API_KEY}: {key}\r\n{WORKER}: gated\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    store.paused.wait(10)  # it looked and found nothing; not waiting yet
    other = start_waiting(server, clients(server, key))
    gone.close()
    time.sleep(0.2)  # the server sees the disconnect
    intent = clients(server, key).publish()  # wakes the gone claimer first
    released_at = time.monotonic()
    store.release.set()

    response = other.result(5)
    assert response.json()["id"] == intent["id"]
    assert response.json()["claim_attempts"] == 1  # nobody claimed it for the gone one
    assert other.done_at - released_at < 2.0
    assert metric(server, "intent_bus_claim_wakeups_total") == 2


@pytest.mark.postgres
def test_publish_on_one_replica_wakes_a_matching_waiter_on_another(
    clients: Callable[..., Api],
) -> None:
    with (
        fresh_postgres_database() as url,
        running_server(Settings(db_url=url)) as first,
        running_server(Settings(db_url=url)) as second,
    ):
        key = first.create_tenant()
        waiting = start_waiting(second, clients(second, key))
        clients(first).publish()  # another tenant's private work: not for it
        time.sleep(0.3)
        assert metric(second, "intent_bus_claim_wakeups_total") == 0

        published_at = time.monotonic()
        intent = clients(first, key).publish()
        response = waiting.result(5)
        assert response.json()["id"] == intent["id"]
        assert waiting.done_at - published_at < 1.0
        assert metric(second, "intent_bus_claim_wakeups_total") == 1
