"""The client keeps no cookies: the protocol has none, so a Set-Cookie from a
proxy in between is never echoed back (and never costs parsing time)."""

from __future__ import annotations

import httpx

from intent_bus import IntentClient


def test_set_cookie_is_not_sent_back() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(
            200,
            json={"value": 1},
            headers={"Set-Cookie": "session=abc; Path=/", "X-Intent-Version": "7.61"},
        )

    with IntentClient(
        base_url="http://bus.test",
        api_key="tk_x",
        transport=httpx.MockTransport(answer),
    ) as client:
        assert client.get("a") == 1
        assert client.get("b") == 1
    assert seen == [None, None]
