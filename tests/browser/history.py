"""An hour of finished work, written through the real store with past times
(storage methods take `now`), so the console's charts have a history to draw
without a test waiting an hour. Used for the screenshots only."""

from __future__ import annotations

import asyncio
import math
import secrets
from concurrent.futures import ThreadPoolExecutor

from intent_bus.storage import open_store
from intent_bus.storage.base import ClaimQuery, Lease, NewIntent


def per_minute(minute: int) -> int:
    """A calm daily-looking wave: 2 to 12 completions a minute."""
    return round(7 + 4 * math.sin(minute / 7) + (minute % 5) / 2)


async def _seed(url: str, owner: str, now: float) -> int:
    store = open_store(url)
    await store.start()
    done = 0
    try:
        for minute in range(60):
            for k in range(per_minute(minute)):
                at = now - (60 - minute) * 60 + k * 3
                intent = NewIntent(
                    id=secrets.token_hex(16),
                    owner=owner,
                    goal="thumbnail",
                    payload=b'{"url": "https://cdn.example/cat.jpg"}',
                    namespace="media",
                    visibility="private",
                    priority=100,
                    run_at=at,
                    created_at=at,
                    max_attempts=3,
                    backoff_base=2.0,
                )
                await store.intent_publish(intent, None, at)
                token = secrets.token_hex(16)
                query = ClaimQuery(owner=owner, namespace="media", goal="thumbnail")
                claimed = await store.intent_claim(
                    query, Lease(token, at + 60, "node-01"), at + 1
                )
                assert claimed is not None and claimed.id == intent.id
                await store.intent_fulfill(
                    intent.id, token, b'{"thumb": "t.png"}', "json", at + 2
                )
                done += 1
    finally:
        await store.close()
    return done


def seed_history(url: str, owner: str, now: float) -> int:
    """Publishes, claims and fulfills intents spread over the hour before
    `now`; returns how many. (In a thread of its own: Playwright's sync API
    holds this thread's event loop.)"""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _seed(url, owner, now)).result()
