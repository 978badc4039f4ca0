"""Huey on SQLite: `SqliteHuey` with its defaults, one consumer per worker
process with its default single thread worker and polling settings."""

from __future__ import annotations

from typing import Any

from huey import SqliteHuey
from meter import Meter
from peer import Peer

_meter: Meter | None = None


def _noop(n: int) -> None:
    assert _meter is not None
    _meter.hit()


def _huey(filename: str) -> tuple[SqliteHuey, Any]:
    huey = SqliteHuey(name="bench", filename=filename)
    return huey, huey.task(name="noop")(_noop)


class HueyPeer(Peer):
    name = "Huey"
    store = "SQLite"
    packages = ("huey",)

    def open(self) -> dict[str, Any]:
        filename = str(self.tmp / "huey.db")
        self._huey, self._task = _huey(filename)
        return {"filename": filename}

    def publish(self, n: int) -> None:
        self._task(n)

    def close(self) -> None:
        huey = getattr(self, "_huey", None)
        if huey is not None:
            huey.storage.close()

    @staticmethod
    def work(config: dict[str, Any], meter: Meter) -> None:
        global _meter
        _meter = meter
        huey, _ = _huey(config["filename"])
        consumer = huey.create_consumer()
        meter.ready_and_wait()
        consumer.run()
