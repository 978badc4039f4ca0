"""Every page of the console on a server with a realistic hour of data: a
screenshot of each at 1280 and 390 px wide (see SCREENSHOTS; docs/console.png
is the desktop Overview), no sideways scrolling on a phone, and the requests
each page sends: bounded pages only, never "all intents"."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from intent_bus.server.settings import Settings
from tests.browser.bus import claim, fulfill, kill, publish
from tests.browser.conftest import DESKTOP, PHONE, Console
from tests.browser.history import seed_history
from tests.harness import ServerHandle, running_server

OWNER = "media-team"


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A server of its own, so the pages show only this data."""
    url = f"sqlite:///{tmp_path_factory.mktemp('showcase') / 'bus.db'}"
    seed_history(url, OWNER, time.time())
    with running_server(Settings(db_url=url)) as server:
        media = server.create_tenant(OWNER)
        billing = server.create_tenant("billing")
        kill(server, media, "send_email", "SMTP timeout after 30 s", "comms")
        for n in range(6):
            publish(
                server,
                media,
                "thumbnail",
                {"url": f"https://cdn.example/{n}.jpg"},
                namespace="media",
            )
        claim(server, media, "thumbnail", "node-01", "gpu,ffmpeg", "media")
        for n in range(3):
            publish(
                server,
                media,
                "send_email",
                {"to": f"user{n}@example.com"},
                namespace="comms",
            )
        fulfill(
            server,
            media,
            claim(server, media, "send_email", "mail-1", namespace="comms"),
            {"sent": True},
        )
        for _ in range(2):
            kill(
                server,
                media,
                "transcode",
                "ffmpeg exited with status 1: unknown codec",
                "media",
            )
        publish(server, media, "transcode", {"file": "talk.mov"}, namespace="media")
        httpx.post(
            f"{server.url}/pause",
            json={"namespace": "media", "goal": "transcode"},
            headers={"X-API-KEY": media},
        ).raise_for_status()
        for goal, most, per_key in (("thumbnail", 1, None), ("transcode", 4, 2)):
            httpx.put(
                f"{server.url}/limits",
                json={
                    "namespace": "media",
                    "goal": goal,
                    "max_running": most,
                    "max_per_key": per_key,
                },
                headers={"X-API-KEY": media},
            ).raise_for_status()
        for name, cron, zone, goal, paused in (
            ("nightly-report", "30 2 * * *", "Europe/Berlin", "send_email", False),
            ("cdn-sweep", "*/15 * * * *", "UTC", "thumbnail", True),
        ):
            httpx.put(
                f"{server.url}/schedules/{name}",
                json={
                    "cron": cron,
                    "timezone": zone,
                    "intent": {"goal": goal, "namespace": "comms", "payload": {}},
                    "paused": paused,
                },
                headers={"X-API-KEY": media},
            ).raise_for_status()
        kill(server, billing, "invoice", "card declined")
        for n in range(2):
            publish(server, billing, "invoice", {"order": 1000 + n})
        yield server


def waiting_intent(server: ServerHandle) -> str:
    """An intent no live worker can take: it needs a capability nobody offers."""
    key = server.create_tenant(OWNER)
    intent_id = publish(
        server,
        key,
        "render",
        {"scene": "intro", "frames": [1, 240]},
        namespace="media",
        required_capability="cuda",
    )
    httpx.post(
        f"{server.url}/claim",
        params={"goal": "render", "namespace": "media"},
        headers={
            "X-API-KEY": key,
            "X-Worker-ID": "node-03",
            "X-Worker-Capabilities": "cpu",
        },
    )
    return intent_id


# What each page asks the server for when it is drawn (path templates).
REQUESTS = {
    "overview": {("GET", "/stats")},
    "intents": {("GET", "/intents")},
    "intent": {
        ("GET", "/intents/<id>"),
        ("GET", "/intents/<id>/events"),
        ("GET", "/explain/<id>"),
    },
    "dead": {("GET", "/admin/dead")},
    "workers": {("GET", "/workers")},
    "schedules": {("GET", "/schedules")},
    "pauses": {("GET", "/pauses")},
    "limits": {("GET", "/limits")},
    "keys": {("GET", "/admin/keys")},
}


def templates(console: Console, since: int, intent_id: str) -> set[tuple[str, str]]:
    return {(s.method, s.path.replace(intent_id, "<id>")) for s in console.sent[since:]}


def test_every_page_at_desktop_and_phone_width(
    console_factory: Callable[..., Console], showcase: ServerHandle
) -> None:
    intent_id = waiting_intent(showcase)
    # Overview last: log-in lands there already.
    pages = [
        "intents",
        f"intent/{intent_id}",
        "dead",
        "workers",
        "schedules",
        "pauses",
        "limits",
        "keys",
        "overview",
    ]
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        console = console_factory(viewport, showcase)
        console.open()
        console.shot(f"{name}-login")
        console.login(showcase.admin_key)
        for fragment in pages:
            page_name = fragment.split("/")[0]
            since = len(console.sent)
            console.go(f"#/{fragment}")
            console.settled(page_name)
            shot = console.shot(f"{name}-{page_name}")
            assert shot.stat().st_size > 5000
            width = console.page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], (fragment, width)
            assert templates(console, since, intent_id) == REQUESTS[page_name]
        limits = [
            int(s.query["limit"][0])
            for s in console.sent
            if s.path in ("/intents", "/admin/dead")
        ]
        assert limits and max(limits) <= 1000
        assert all(
            int(s.query["limit"][0]) <= 200 for s in console.to("GET", "/intents")
        )
        # The key travels in its header only, never in a URL.
        key = showcase.admin_key
        assert all(key not in s.path and key not in str(s.query) for s in console.sent)
        assert all(s.headers.get("x-api-key") == key for s in console.sent)


def test_a_tenants_dead_letters_read_bounded_pages_of_the_search(
    console_factory: Callable[..., Console], showcase: ServerHandle
) -> None:
    key = showcase.create_tenant(OWNER)
    console = console_factory(DESKTOP, showcase)
    console.login(key)
    console.go("#/dead")
    console.settled("dead")
    asked = console.to("GET", "/intents")
    assert 1 <= len(asked) <= 5
    assert all(
        s.query["status"] == ["dead"] and s.query["limit"] == ["200"] for s in asked
    )
    assert console.page.locator(".dead-group").count() == 2
    assert console.page.locator(".dead-group", has_text="card declined").count() == 0
