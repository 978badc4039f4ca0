"""A recorded history of limited work, and the checker that judges it.

Each worker records one `Run` per intent it held: from the moment the claim's
answer arrived to the moment it sent the fulfill. That interval lies inside
the time the server counted the intent as claimed, so if runs ever overlap
more than the limit allows, the server's own claims did too: the check can
miss a violation shorter than a request, never invent one.

The other direction (no slot left idle while work waits) is judged on the same
runs: while intents of a pool are still unclaimed, a period with fewer runs
than the limit is a free slot nobody took. Such a period includes the fulfill
and claim round trips, so the bound it must stay under is a multiple of
request latency, far below the long-poll wait a missed wake-up would cost.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from intent_bus import protocol


@dataclass(frozen=True)
class Run:
    intent_id: str
    key: str | None
    claimed_at: float
    released_at: float


@dataclass
class LimitHistory:
    runs: list[Run] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, run: Run) -> None:
        with self.lock:
            self.runs.append(run)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def limited_worker(
    url: str,
    key: str,
    query: dict[str, str],
    timing: tuple[float, float, float],
    history: LimitHistory,
) -> None:
    """Claims with a long poll until it takes a `stop` intent; each other
    intent is held for `work` seconds, then fulfilled, and the worker rests
    `rest` seconds before it claims again: the slot it freed must be taken by
    a waiting worker, which only a wake-up brings in time."""
    work_seconds, rest_seconds, wait_seconds = timing
    headers = {protocol.HEADER_API_KEY: key}
    params = {**query, "wait": str(wait_seconds)}
    with httpx.Client(base_url=url, headers=headers, timeout=wait_seconds + 30) as http:
        while True:
            claimed = http.post("/claim", params=params)
            if claimed.status_code == 204:
                continue
            if claimed.status_code != 200:
                history.error(f"claim {claimed.status_code}: {claimed.text}")
                return
            start = time.monotonic()
            body = claimed.json()
            payload = body["payload"] or {}
            if payload.get("stop"):
                return
            time.sleep(work_seconds)
            released = time.monotonic()
            done = http.post(
                f"/fulfill/{body['id']}", json={"claim_token": body["claim_token"]}
            )
            if done.status_code != 200:
                history.error(f"fulfill {done.status_code}: {done.text}")
            history.record(Run(body["id"], payload.get("key"), start, released))
            time.sleep(rest_seconds)


def max_overlap(runs: list[Run]) -> int:
    """The most runs held at one moment (a release before a claim at a tie)."""
    events = sorted(
        [(r.claimed_at, 1) for r in runs] + [(r.released_at, -1) for r in runs]
    )
    held = peak = 0
    for _, step in events:
        held += step
        peak = max(peak, held)
    return peak


def longest_idle_slot(runs: list[Run], limit: int) -> float:
    """The longest period, while some intent of the pool was still unclaimed
    (before its last claim), with fewer than `limit` runs held; counted from
    the first time the limit was reached (before it, the workers start up)."""
    if not runs:
        return 0.0
    last_claim = max(r.claimed_at for r in runs)
    events = sorted(
        [(r.claimed_at, 1) for r in runs] + [(r.released_at, -1) for r in runs]
    )
    held = 0
    reached = False
    idle_since: float | None = None
    longest = 0.0
    for at, step in events:
        if at > last_claim:
            break
        held += step
        reached = reached or held >= limit
        if not reached:
            continue
        if held < limit and idle_since is None:
            idle_since = at
        elif held >= limit and idle_since is not None:
            longest = max(longest, at - idle_since)
            idle_since = None
    if idle_since is not None:
        longest = max(longest, last_claim - idle_since)
    return longest
