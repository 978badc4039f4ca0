"""Housekeeping over HTTP: old terminal intents and expired values disappear."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.harness import ServerHandle
from tests.server.api import Api


def test_terminal_intents_past_retention_are_purged(
    custom_server: Callable[..., ServerHandle], clients: Callable[..., Api]
) -> None:
    server = custom_server(
        retention_seconds=0.5, purge_interval=0.2, housekeeping_interval=0.1
    )
    tenant = clients(server)
    done = tenant.publish()
    waiting = tenant.publish(delay=3600)
    lease = tenant.claim_ok()
    tenant.post(f"/fulfill/{done['id']}", {"claim_token": lease["claim_token"]})
    deadline = time.monotonic() + 10
    while tenant.get(f"/status/{done['id']}").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert tenant.get(f"/status/{waiting['id']}").status_code == 200  # open: kept
