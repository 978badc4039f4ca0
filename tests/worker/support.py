"""Helpers for tests that run a WorkerRuntime against a live server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from intent_bus.sdk.client import IntentClient
from intent_bus.sdk.models import IntentResult
from intent_bus.worker.runtime import WorkerRuntime

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], timeout: float = 20.0, what: str = "condition"
) -> T:
    """Polls `probe` until it returns something truthy; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    pause = 0.02
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)


def result_of(
    client: IntentClient, intent_id: str, timeout: float = 20.0
) -> IntentResult:
    return wait_for(
        lambda: client.get_result(intent_id), timeout, f"result of {intent_id}"
    )


@contextmanager
def listening(
    runtime: WorkerRuntime, goal: str | None, handler: Callable[[Any], Any], **kw: Any
) -> Iterator[threading.Thread]:
    """Runs `runtime.listen` in a thread for the block; stops and joins it."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            runtime.listen(goal, handler, **kw)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        runtime.stop()
        thread.join(timeout=30)
        assert not thread.is_alive(), "listen did not return after stop()"
    if errors:
        raise errors[0]


class RecordingClient:
    """A real IntentClient that also notes when each claim started and what it
    answered, so pacing can be asserted; every call goes to the server."""

    def __init__(self, client: IntentClient) -> None:
        self._client = client
        self.claims: list[tuple[float, Any]] = []

    def claim(self, **kw: Any) -> Any:
        started = time.monotonic()
        response = self._client.claim(**kw)
        self.claims.append((started, response))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class SwitchableProxy:
    """A TCP proxy to `target` that can be turned off: while off it accepts and
    immediately closes connections, like a server that went away."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.up = False
        self._closed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if not self.up:
                conn.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                conn.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [conn, upstream]
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed = True
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                s.close()
