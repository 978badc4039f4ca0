"""A real Intent Bus server on 127.0.0.1, run in a thread for one test.

The server is the production app (`create_app`) served by uvicorn on a socket
bound to an ephemeral loopback port; tests talk to it over real HTTP.
`ServerProcess` runs `python -m intent_bus.server` as a subprocess instead, for
tests that restart or SIGKILL it.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from intent_bus.server.app import create_app
from intent_bus.server.http.connection import uvicorn_options
from intent_bus.server.settings import Settings
from intent_bus.storage.base import Store

ADMIN_KEY = "ak_test_" + secrets.token_hex(8)
TEST_KEK = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
"""A key-encryption key for servers on PostgreSQL, which need one given."""


@dataclass
class ServerHandle:
    url: str
    settings: Settings
    admin_key: str

    def create_tenant(self, owner: str | None = None) -> str:
        """Creates a tenant key through the admin API and returns it."""
        owner = owner or f"tenant-{secrets.token_hex(4)}"
        response = httpx.post(
            f"{self.url}/admin/keys",
            json={"owner": owner},
            headers={"X-API-KEY": self.admin_key},
        )
        assert response.status_code == 201, response.text
        key: str = response.json()["api_key"]
        return key


@contextmanager
def running_server(
    settings: Settings, store: Store | None = None
) -> Iterator[ServerHandle]:
    """Serves `settings` until the block ends; the server is always stopped.

    `store` replaces the backend `settings.db_url` names (e.g. a wrapper that
    injects failures)."""
    if settings.admin_key is None:
        settings = dataclasses.replace(settings, admin_key=ADMIN_KEY)
    if settings.db_url.startswith("postgres") and not settings.kek_file:
        settings = dataclasses.replace(settings, kek=settings.kek or TEST_KEK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(settings, store)
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        access_log=False,
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("test server did not start")
        time.sleep(0.005)
    assert settings.admin_key is not None
    try:
        yield ServerHandle(f"http://127.0.0.1:{port}", settings, settings.admin_key)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """Starts the server, waits for /healthz, and always reaps the process."""

    def __init__(
        self, db_path: Path, *, admin_key: str | None, extra: list[str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "INTENT_BUS_ADMIN_KEY"}
        if admin_key is not None:
            env["INTENT_BUS_ADMIN_KEY"] = admin_key
        self.stdout_path = db_path.with_suffix(f".{self.port}.out")
        self._stdout = self.stdout_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "intent_bus.server",
                "--db",
                f"sqlite:///{db_path}",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *(extra or []),
            ],
            stdout=self._stdout,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("server did not become ready")

    def output(self) -> str:
        self._stdout.flush()
        return self.stdout_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, like a power cut."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._stdout.close()
