"""The workers registry's records and the merging of a sighting into a stored
row, the same for both dialects (the lists are stored as JSON text)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

LIST_MAX: Final = 50
"""Goals and namespaces remembered per worker (the most recent ones)."""
ANY_GOAL: Final = "*"
"""Remembered among a worker's goals when it claimed without naming one."""


@dataclass(frozen=True, slots=True)
class WorkerSighting:
    """One claim or lease extension by a worker: who (claiming tenant +
    X-Worker-ID), what it can do, what it asked for or works on, and which
    client it runs. An extension does not say what the worker can do
    (capabilities None): the stored ones are kept."""

    owner: str
    worker_id: str
    capabilities: tuple[str, ...] | None
    goal: str | None
    namespace: str
    client_version: str | None


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A worker as registered, with its live leases counted."""

    owner: str
    worker_id: str
    capabilities: tuple[str, ...]
    goals: tuple[str, ...]
    namespaces: tuple[str, ...]
    client_version: str | None
    last_seen: float
    in_flight: int = 0


def _merged(old: Sequence[str], new: str | None) -> list[str]:
    """The remembered list with `new` moved to the end (most recent last)."""
    kept = [item for item in old if item != new]
    if new is not None:
        kept.append(new)
    return kept[-LIST_MAX:]


def upsert_params(
    sighting: WorkerSighting, stored: Sequence[Any] | None, now: float
) -> dict[str, Any]:
    """Parameters of worker_upsert: the sighting merged into the stored row
    (owner, worker_id, capabilities, goals, namespaces, client_version, last_seen)."""
    goals = json.loads(stored[3]) if stored else []
    namespaces = json.loads(stored[4]) if stored else []
    capabilities, version = sighting.capabilities, sighting.client_version
    if capabilities is not None:
        caps_json = json.dumps(sorted(set(capabilities)))
    else:  # an extension: what the worker can do and runs is as it last said
        caps_json = stored[2] if stored else "[]"
        version = stored[5] if stored else None
    return {
        "owner": sighting.owner,
        "worker_id": sighting.worker_id,
        "capabilities": caps_json,
        "goals": json.dumps(_merged(goals, sighting.goal or ANY_GOAL)),
        "namespaces": json.dumps(_merged(namespaces, sighting.namespace)),
        "client_version": version,
        "now": now,
    }


def worker_records(
    rows: Iterable[Sequence[Any]], leases: Iterable[Sequence[Any]]
) -> list[WorkerRecord]:
    """Records from worker_list rows, crediting each worker with the live
    leases held under its id on intents of its tenant or public ones."""
    held: list[tuple[str, str, str, int]] = [(w, o, v, int(n)) for w, o, v, n in leases]
    records = []
    for owner, worker_id, caps, goals, namespaces, version, last_seen in rows:
        in_flight = sum(
            n
            for w, o, visibility, n in held
            if w == worker_id and (o == owner or visibility == "public")
        )
        records.append(
            WorkerRecord(
                owner=owner,
                worker_id=worker_id,
                capabilities=tuple(json.loads(caps)),
                goals=tuple(json.loads(goals)),
                namespaces=tuple(json.loads(namespaces)),
                client_version=version,
                last_seen=float(last_seen),
                in_flight=in_flight,
            )
        )
    return records
