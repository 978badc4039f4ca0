"""A history of what the server acknowledged, and the checker that judges it.

Publishers and workers (threads, real HTTP) record every acknowledged publish,
claim and completion while servers are SIGKILLed under them. After a final
drain, `check` proves: nothing acknowledged was lost, no intent was completed
with two different claim tokens, each acknowledged completion is the stored
outcome, and every intent ended fulfilled or dead.
"""

from __future__ import annotations

import collections
import random
import threading
import uuid
from dataclasses import dataclass, field

import httpx

from intent_bus import protocol

GOAL = "history"


@dataclass
class History:
    lock: threading.Lock = field(default_factory=threading.Lock)
    published: set[str] = field(default_factory=set)
    claims: list[tuple[str, str]] = field(default_factory=list)
    fulfilled: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, kind: list[tuple[str, str]], intent_id: str, token: str) -> None:
        with self.lock:
            kind.append((intent_id, token))


def publisher(
    urls: list[str], key: str, history: History, stop: threading.Event
) -> None:
    """Publishes until stopped or the server is gone; records each 201."""
    with httpx.Client(headers={protocol.HEADER_API_KEY: key}, timeout=10) as http:
        while not stop.is_set():
            try:
                response = http.post(
                    f"{random.choice(urls)}/intent",
                    json={"goal": GOAL, "payload": uuid.uuid4().hex, "max_attempts": 2},
                    headers={protocol.HEADER_IDEMPOTENCY_KEY: uuid.uuid4().hex},
                )
            except httpx.TransportError:
                return
            if response.status_code == 201:
                with history.lock:
                    history.published.add(response.json()["id"])
            else:
                history.errors.append(f"publish {response.status_code}")


def worker(urls: list[str], key: str, history: History, stop: threading.Event) -> None:
    """Claims and completes (about one in eight as a failure) until stopped."""
    with httpx.Client(headers={protocol.HEADER_API_KEY: key}, timeout=10) as http:
        while not stop.is_set():
            try:
                claimed = http.post(
                    f"{random.choice(urls)}/claim", params={"goal": GOAL, "wait": 1}
                )
                if claimed.status_code != 200:
                    continue
                job = claimed.json()
                intent_id, token = job["id"], job["claim_token"]
                history.record(history.claims, intent_id, token)
                if random.random() < 0.125:
                    done = http.post(
                        f"{random.choice(urls)}/fail/{intent_id}",
                        json={"claim_token": token, "error": token},
                    )
                    if done.status_code == 200:
                        history.record(history.failed, intent_id, token)
                    continue
                done = http.post(
                    f"{random.choice(urls)}/fulfill/{intent_id}",
                    json={"claim_token": token, "result": token},
                )
            except httpx.TransportError:
                return
            if done.status_code == 200:
                history.record(history.fulfilled, intent_id, token)
            elif done.status_code != 404:
                history.errors.append(f"fulfill {done.status_code}")


def check(url: str, key: str, admin_key: str, history: History) -> dict[str, int]:
    """Judges the history against the drained server; returns its figures."""
    assert not history.errors, history.errors[:5]
    tokens: dict[str, set[str]] = collections.defaultdict(set)
    for intent_id, token in history.fulfilled:
        tokens[intent_id].add(token)
    twice = {i: t for i, t in tokens.items() if len(t) > 1}
    assert not twice, f"completed with different tokens: {list(twice.items())[:3]}"
    ended = collections.Counter[str]()
    with httpx.Client(
        base_url=url, headers={protocol.HEADER_API_KEY: key}, timeout=10
    ) as http:
        for intent_id in history.published:
            view = http.get(f"/result/{intent_id}")
            assert view.status_code == 200, (intent_id, view.status_code, view.text)
            body = view.json()
            assert body["status"] in ("fulfilled", "dead"), body
            ended[body["status"]] += 1
            if intent_id in tokens:
                assert body["status"] == "fulfilled", body
                assert body["result"] in tokens[intent_id], body
        stats = http.get(
            "/admin/stats", headers={protocol.HEADER_API_KEY: admin_key}
        ).json()
    unfinished = {
        s: n for s, n in stats["by_status"].items() if n and s in ("open", "claimed")
    }
    assert not unfinished, f"intents left unfinished: {unfinished}"
    return {
        "published": len(history.published),
        "claims": len(history.claims),
        "fulfills": len(history.fulfilled),
        "fails": len(history.failed),
        "fulfilled": ended["fulfilled"],
        "dead": ended["dead"],
    }
