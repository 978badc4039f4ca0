"""The workers registry's write side on the claim path: each claim and each
lease extension is a sighting, but a worker's row is written at most once per
SEEN_INTERVAL per replica (an in-memory throttle), so the registry costs claims
next to nothing.

A long-polling worker re-claims at least every MAX_WAIT_SECONDS, well inside
the 60 s that count as live, so a waiting long-poll keeps its worker live.
"""

from __future__ import annotations

from typing import Final

from intent_bus import protocol
from intent_bus.server.schemas import WorkerHeaders
from intent_bus.storage.base import ClaimQuery, Intent, Store
from intent_bus.storage.workers import WorkerSighting

SEEN_INTERVAL: Final = 5.0
"""Seconds between two registry writes for the same sighting, per replica."""
MAX_TRACKED: Final = 10_000
"""Sightings remembered by the throttle before it starts afresh."""
VERSION_MAX_CHARS: Final = 200


class SightingThrottle:
    """Remembers when each distinct sighting was last written."""

    def __init__(self) -> None:
        self._written: dict[WorkerSighting, float] = {}

    def due(self, sighting: WorkerSighting, now: float) -> bool:
        """Whether this sighting should be written now (and notes that it is)."""
        last = self._written.get(sighting)
        if last is not None and now - last < SEEN_INTERVAL:
            return False
        if len(self._written) >= MAX_TRACKED:
            self._written.clear()
        self._written[sighting] = now
        return True


def sighting(query: ClaimQuery, headers: WorkerHeaders) -> WorkerSighting | None:
    """The registry entry a claim makes; none without an X-Worker-ID."""
    if query.worker_id is None:
        return None
    version = headers.intent_version or headers.user_agent
    return WorkerSighting(
        owner=query.owner,
        worker_id=query.worker_id,
        capabilities=tuple(sorted(set(query.capabilities))),
        goal=query.goal,
        namespace=query.namespace,
        client_version=version[:VERSION_MAX_CHARS] if version else None,
    )


async def note_claim(
    store: Store,
    throttle: SightingThrottle,
    query: ClaimQuery,
    headers: WorkerHeaders,
    now: float,
) -> None:
    seen = sighting(query, headers)
    if seen is not None and throttle.due(seen, now):
        await store.worker_seen(seen, now)


async def note_extension(
    store: Store,
    throttle: SightingThrottle,
    owner: str,
    intent: Intent,
    now: float,
) -> None:
    """A lease extension keeps its worker seen: a worker deep in one long job
    claims nothing for a while, yet it is alive. The worker is the one the
    lease was granted to; what it can do and runs is left as its claims said."""
    if intent.worker_id is None:
        return
    seen = WorkerSighting(
        owner=owner,
        worker_id=intent.worker_id,
        capabilities=None,
        goal=intent.goal,
        namespace=intent.namespace,
        client_version=None,
    )
    if throttle.due(seen, now):
        await store.worker_seen(seen, now)


def worker_state(last_seen: float, in_flight: int, now: float) -> str:
    """live (seen within a minute, or holding a lease), idle (within ten
    minutes) or gone."""
    age = now - last_seen
    if in_flight > 0 or age <= protocol.WORKER_LIVE_SECONDS:
        return protocol.WORKER_STATES[0]
    if age <= protocol.WORKER_IDLE_SECONDS:
        return protocol.WORKER_STATES[1]
    return protocol.WORKER_STATES[2]
