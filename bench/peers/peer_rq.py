"""RQ on Redis: the default `Worker`, which forks a work horse per job, and
`SimpleWorker`, which does not; per-job logging turned down to WARNING as for
every peer."""

from __future__ import annotations

import secrets
from typing import Any

from meter import Meter
from peer import Peer
from redis import Redis
from rq import Queue, SimpleWorker, Worker

_meter: Meter | None = None


def noop(n: int) -> None:
    assert _meter is not None
    _meter.hit()


class RQPeer(Peer):
    name = "RQ"
    store = "Redis"
    packages = ("rq", "redis")

    def open(self) -> dict[str, Any]:
        self._queue_name = f"bench-{secrets.token_hex(4)}"
        self._redis = Redis.from_url(self.options.redis_url)
        self._queue = Queue(self._queue_name, connection=self._redis)
        self._job_ids: list[str] = []
        return {"url": self.options.redis_url, "queue": self._queue_name}

    def publish(self, n: int) -> None:
        self._job_ids.append(self._queue.enqueue(noop, n).id)

    def close(self) -> None:
        redis = getattr(self, "_redis", None)
        if redis is None:
            return
        # Only this run's keys: other users of this Redis keep theirs.
        keys = [k for i in self._job_ids for k in (f"rq:job:{i}", f"rq:results:{i}")]
        keys += list(redis.scan_iter(match=f"rq:*{self._queue_name}*"))
        keys += [
            key
            for key in redis.scan_iter(match="rq:worker:*")
            if redis.hget(key, "queues") == self._queue_name.encode()
        ]
        redis.srem("rq:queues", self._queue.key)
        for start in range(0, len(keys), 1000):
            redis.delete(*keys[start : start + 1000])
        redis.close()

    worker_class: type[Worker] = Worker

    @classmethod
    def work(cls, config: dict[str, Any], meter: Meter) -> None:
        global _meter
        _meter = meter
        redis = Redis.from_url(config["url"])
        queue = Queue(config["queue"], connection=redis)
        worker = cls.worker_class([queue], connection=redis)
        meter.ready_and_wait()
        worker.work(logging_level="WARNING")


class RQSimplePeer(RQPeer):
    """RQ with `SimpleWorker`: jobs run in the worker process, no fork."""

    name = "RQ (SimpleWorker)"
    worker_class = SimpleWorker
