"""A signed request's nonce is recorded with the request's own store operation,
not in one of its own: replay protection must still outlive a restart, hold
across replicas of one database, and cover requests that failed or only read."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from intent_bus.server.settings import Settings
from tests.harness import running_server
from tests.pgutil import fresh_postgres_database
from tests.server.api import error_code, signed_headers


def _signed(key: str, method: str, url: str, body: object = None) -> dict:
    raw = b"" if body is None else json.dumps(body).encode()
    return {
        "url": url,
        "content": raw,
        "headers": signed_headers(key, method, url, raw),
    }


def _send(base: str, method: str, request: dict) -> httpx.Response:
    return httpx.request(
        method,
        base + request["url"],
        content=request["content"],
        headers=request["headers"],
    )


def _send_into(answers: list[httpx.Response], base: str, request: dict) -> None:
    answers.append(_send(base, "POST", request))


def _refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and error_code(response) == "invalid_signature"


def test_replays_are_refused_after_a_restart_and_change_nothing(db_url: str) -> None:
    settings = Settings(db_url=db_url)
    with running_server(settings) as first:
        key = first.create_tenant()
        publish = _signed(key, "POST", "/intent", {"goal": "once", "payload": 1})
        read = _signed(key, "GET", "/get/nothing")
        failed = _signed(key, "POST", "/fulfill/no-such-id", {"claim_token": "x"})
        invalid = _signed(key, "POST", "/intent", {"goal": 5})
        assert _send(first.url, "POST", publish).status_code == 201
        assert _send(first.url, "GET", read).status_code == 404
        assert _send(first.url, "POST", failed).status_code == 404
        assert _send(first.url, "POST", invalid).status_code == 400
        # In the same process, too: each one is refused the second time.
        assert _refused(_send(first.url, "POST", publish))
        assert _refused(_send(first.url, "POST", failed))
    with running_server(settings) as second:
        assert _refused(_send(second.url, "POST", publish))
        assert _refused(_send(second.url, "GET", read))
        assert _refused(_send(second.url, "POST", failed))
        assert _refused(_send(second.url, "POST", invalid))
        # The replayed publish made no second intent.
        claim = {"X-API-KEY": key}
        url = f"{second.url}/claim?goal=once"
        assert httpx.post(url, headers=claim).status_code == 200
        assert httpx.post(url, headers=claim).status_code == 204


@pytest.mark.postgres
def test_a_nonce_is_accepted_once_across_two_replicas() -> None:
    with (
        fresh_postgres_database() as url,
        running_server(Settings(db_url=url)) as a,
        running_server(Settings(db_url=url)) as b,
    ):
        key = a.create_tenant()
        publish = _signed(key, "POST", "/intent", {"goal": "twice", "payload": 1})
        assert _send(a.url, "POST", publish).status_code == 201
        assert _refused(_send(b.url, "POST", publish))
        # The same signed request sent to both at once: exactly one is served.
        for n in range(5):
            racing = _signed(key, "POST", "/intent", {"goal": "race", "payload": n})
            answers: list[httpx.Response] = []
            threads = [
                threading.Thread(target=_send_into, args=(answers, u, racing))
                for u in (a.url, b.url)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            codes = sorted(answer.status_code for answer in answers)
            assert codes == [201, 403], codes
        claim = {"X-API-KEY": key}
        served = 0
        while httpx.post(f"{a.url}/claim?goal=race", headers=claim).status_code == 200:
            served += 1
        assert served == 5
