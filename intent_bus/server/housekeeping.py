"""Cleanup without a cron: a background task of the server, off the request path.

Every `housekeeping_interval` it fires due schedules, reaps expired leases
(waking long-pollers when either made work) and folds the changes to the /stats
counters; every `purge_interval` it deletes expired KV entries, stale nonces,
old idempotency records, and terminal intents and schedule ticks past retention.
Errors are logged and the loop carries on: housekeeping must never take the
server down.
"""

from __future__ import annotations

import asyncio
import logging
import time

from intent_bus import protocol
from intent_bus.server.firing import fire_due
from intent_bus.server.settings import Settings
from intent_bus.server.wakeup import WakeHub
from intent_bus.storage.base import Store

logger = logging.getLogger("intent_bus.server.housekeeping")

NONCE_GRACE_SECONDS = 60.0


def nonce_cutoff(now: float, window: float) -> float:
    """Nonces older than this can no longer be replayed: a replay must carry
    the original timestamp, which by then is outside the window."""
    return now - 2 * window - NONCE_GRACE_SECONDS


class Housekeeper:
    def __init__(self, store: Store, settings: Settings, hub: WakeHub) -> None:
        self._store = store
        self._settings = settings
        self._hub = hub

    async def reap(self, now: float) -> int:
        reopened = await self._store.intent_reap(now)
        if reopened:
            # Which intents reopened is not known here: wake everyone once.
            self._hub.wake_all()
        return reopened

    async def fire(self, now: float) -> int:
        ticks = await fire_due(self._store, now)
        if ticks:
            # Each tick's intent is known only by id here: wake everyone once.
            self._hub.wake_all()
        return len(ticks)

    async def purge(self, now: float) -> dict[str, int]:
        settings = self._settings
        store = self._store
        return {
            "kv": await store.kv_purge(now),
            "nonces": await store.nonce_purge(
                nonce_cutoff(now, settings.signature_window)
            ),
            "idempotency": await store.idempotency_purge(
                now - settings.idempotency_seconds
            ),
            "intents": await store.intent_purge(now - settings.retention_seconds),
            "workers": await store.worker_purge(now - protocol.WORKER_KEEP_SECONDS),
            "ticks": await store.schedule_tick_purge(now - settings.retention_seconds),
        }

    async def run(self) -> None:
        """Runs until cancelled."""
        last_purge = 0.0
        while True:
            await asyncio.sleep(self._settings.housekeeping_interval)
            now = time.time()
            try:
                await self.fire(now)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("firing schedules failed", exc_info=True)
            try:
                await self.reap(now)
                # Keeps the changes /stats adds to the counters few.
                await self._store.intent_counts_fold(now)
                if now - last_purge >= self._settings.purge_interval:
                    last_purge = now
                    removed = await self.purge(now)
                    if any(removed.values()):
                        logger.info("housekeeping removed %s", removed)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("housekeeping pass failed", exc_info=True)
