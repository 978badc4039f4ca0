"""Answers shaped exactly as the control API's contract describes them, for the
console pages whose endpoints a server may not have yet.

The browser serves these in place of the server's 404 (Playwright's request
routing), so the pages are rendered and clicked against the documented shapes,
user strings holding markup included. Requests the console sends are recorded
so tests can check method, path, body and the X-API-KEY header.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

XSS = "<img src=x onerror=alert(1)>"


def _wave(n: int = 60) -> list[int]:
    return [max(0, round(14 + 10 * math.sin(i / 6) + (i % 7) - 3)) for i in range(n)]


def stats(now: float) -> dict[str, Any]:
    return {
        "groups": [
            {
                "owner": "media-team",
                "namespace": "media",
                "goal": "thumbnail",
                "counts": {"open": 12, "claimed": 3, "fulfilled": 840, "dead": 2},
                "oldest_open_age": 95.0,
                "completions_per_minute": _wave(),
                "paused": False,
            },
            {
                "owner": "media-team",
                "namespace": "media",
                "goal": "transcode",
                "counts": {"open": 40, "claimed": 1, "fulfilled": 61, "cancelled": 4},
                "oldest_open_age": 7300.0,
                "completions_per_minute": [i % 3 for i in range(60)],
                "paused": True,
            },
            {
                "owner": XSS,
                "namespace": XSS,
                "goal": XSS,
                "counts": {"dead": 1},
                "oldest_open_age": None,
                "completions_per_minute": [0] * 60,
                "paused": False,
            },
        ],
        "generated_at": now,
    }


def intent_row(intent_id: str, now: float, **over: Any) -> dict[str, Any]:
    row = {
        "id": intent_id,
        "status": "open",
        "goal": "thumbnail",
        "namespace": "media",
        "claim_attempts": 0,
        "max_attempts": 5,
        "priority": 100,
        "run_at": now - 30,
        "created_at": now - 30,
        "error": None,
        "visibility": "private",
        "target_worker": None,
        "required_capability": None,
        "lease_expires_at": None,
        "completed_at": None,
        "owner": "media-team",
        "worker": None,
        "cancel_requested": False,
    }
    row.update(over)
    return row


def search(now: float) -> dict[str, Any]:
    return {
        "intents": [
            intent_row(
                "a1" * 16, now, status="claimed", worker="node-01", claim_attempts=1
            ),
            intent_row(
                "b2" * 16,
                now,
                goal=XSS,
                worker=XSS,
                status="dead",
                claim_attempts=5,
                error=XSS,
                completed_at=now - 5,
            ),
            intent_row(
                "c3" * 16,
                now,
                status="fulfilled",
                worker="node-02",
                claim_attempts=1,
                completed_at=now - 60,
            ),
        ],
        "next_cursor": "cursor-2",
    }


def events(intent_id: str, now: float) -> dict[str, Any]:
    return {
        "id": intent_id,
        "events": [
            {"type": "published", "at": now - 300},
            {"type": "claimed", "at": now - 290, "worker": XSS, "attempt": 1},
            {"type": "failed", "at": now - 280, "attempt": 1, "error": XSS},
            {"type": "lease_expired", "at": now - 200, "attempt": 2},
        ],
    }


def explain(intent_id: str) -> dict[str, Any]:
    return {
        "id": intent_id,
        "status": "open",
        "claimable_now": False,
        "reasons": [
            {
                "code": "capability_missing",
                "message": "waiting: no worker with capability `gpu` has polled "
                "in 2 h; `w7` was the last",
                "details": {"required": "gpu", "offered": ["ffmpeg"]},
            },
            {"code": "paused", "message": XSS, "details": {}},
        ],
    }


def workers(now: float) -> dict[str, Any]:
    def worker(wid: str, state: str, seen: float, **over: Any) -> dict[str, Any]:
        item = {
            "worker_id": wid,
            "owner": "media-team",
            "state": state,
            "capabilities": ["gpu", "ffmpeg"],
            "goals": ["thumbnail"],
            "namespaces": ["media"],
            "in_flight": 1,
            "last_seen": seen,
            "client_version": "intent-bus/2.2.0",
        }
        item.update(over)
        return item

    return {
        "workers": [
            worker("node-01", "live", now - 2),
            worker("pixel-7-phone", "idle", now - 240, capabilities=[], in_flight=0),
            worker(XSS, "gone", now - 7200, capabilities=[XSS], in_flight=0),
        ]
    }


def pauses(now: float) -> dict[str, Any]:
    return {
        "pauses": [
            {
                "namespace": "media",
                "goal": "transcode",
                "owner": "media-team",
                "paused_at": now - 600,
            },
            {"namespace": XSS, "goal": None, "owner": XSS, "paused_at": now - 60},
        ]
    }


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class ControlApi:
    """Answers the control API's paths in one browser page, as the contract
    says; records each request the console sent (method, path, body, headers)."""

    base_url: str
    sent: list[Sent] = field(default_factory=list)

    def install(self, page: Any) -> None:
        page.route(lambda url: url.startswith(self.base_url), self._handle)

    def _handle(self, route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path
        body = json.loads(request.post_data) if request.post_data else None
        answer = answer_for(request.method, path, body, time.time())
        if answer is None:
            route.continue_()
            return
        query = parse_qs(urlsplit(request.url).query)
        self.sent.append(Sent(request.method, path, query, body, request.headers))
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps(answer)
        )

    def to(self, method: str, path: str) -> list[Sent]:
        return [s for s in self.sent if s.method == method and s.path == path]


def answer_for(method: str, path: str, body: Any, now: float) -> Any:
    """The contract's answer, or None for paths every server already has."""
    parts = path.split("/")
    if method == "GET":
        if path == "/stats":
            return stats(now)
        if path == "/intents":
            return search(now)
        if len(parts) == 4 and parts[1] == "intents" and parts[3] == "events":
            return events(parts[2], now)
        if len(parts) == 3 and parts[1] == "intents":
            return intent_row(
                parts[2], now, payload={"url": XSS, "sizes": [64]}, result=None
            )
        if len(parts) == 3 and parts[1] == "explain":
            return explain(parts[2])
        if path == "/workers":
            return workers(now)
        if path == "/pauses":
            return pauses(now)
    if method == "POST":
        if path == "/pause":
            return {**body, "owner": "media-team", "paused_at": now}
        if path == "/resume":
            return {"resumed": True}
        if path == "/intents/requeue":
            return {"matched": 2, "requeued": 0 if body.get("dry_run") else 2}
        if parts[1] in ("cancel", "requeue") and len(parts) == 3:
            return intent_row(parts[2], now, status="cancelled", completed_at=now)
    return None
