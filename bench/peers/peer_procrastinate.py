"""Procrastinate on PostgreSQL: a fresh database per run with Procrastinate's
schema, deferred through its sync connector; each worker process runs one
worker with its defaults (concurrency 1, LISTEN/NOTIFY on)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import psycopg
from meter import Meter
from peer import Peer
from procrastinate import App, PsycopgConnector

_meter: Meter | None = None


def _noop(n: int) -> None:
    assert _meter is not None
    _meter.hit()


def _app(url: str) -> tuple[App, Any]:
    app = App(connector=PsycopgConnector(conninfo=url))
    return app, app.task(name="noop")(_noop)


def _database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


class ProcrastinatePeer(Peer):
    name = "Procrastinate"
    store = "PostgreSQL"
    packages = ("procrastinate", "psycopg")

    def open(self) -> dict[str, Any]:
        self._database = f"ib_peers_{secrets.token_hex(4)}"
        with psycopg.connect(self.options.postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._database}"')
        url = _database_url(self.options.postgres_url, self._database)
        self._app, self._task = _app(url)
        self._app.open()
        self._app.schema_manager.apply_schema()
        return {"url": url}

    def publish(self, n: int) -> None:
        self._task.defer(n=n)

    def close(self) -> None:
        app = getattr(self, "_app", None)
        if app is not None:
            app.close()
        if getattr(self, "_database", None):
            with psycopg.connect(self.options.postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')

    @staticmethod
    def work(config: dict[str, Any], meter: Meter) -> None:
        global _meter
        _meter = meter
        app, _ = _app(config["url"])

        async def run() -> None:
            async with app.open_async():
                meter.ready_and_wait()
                await app.run_worker_async(concurrency=1, wait=True)

        asyncio.run(run())
