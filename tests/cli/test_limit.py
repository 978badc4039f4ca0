"""`intent-bus limit set|list|delete` and `publish --concurrency-key` against
the live server."""

from __future__ import annotations

import json

import pytest

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli, assert_one_line_error
from tests.harness import ServerHandle
from tests.server.api import Api

pytestmark = pytest.mark.slow


def test_limit_set_list_and_delete(
    cli: Cli, client: IntentClient, sqlite_server: ServerHandle, tenant_key: str
) -> None:
    for _ in range(2):
        sent = cli("publish", "render", "{}", "-n", "media", "--concurrency-key", "c1")
        assert sent.returncode == 0, sent.stderr
    shown = cli("limit", "set", "render", "3", "--per-key", "1", "-n", "media")
    assert (shown.returncode, shown.stdout) == (
        0,
        "at most 3 of render in media, 1 per key (0 running)\n",
    )
    assert client.claim(goal="render", namespace="media")
    assert not client.claim(goal="render", namespace="media")  # one per key
    listed = json.loads(cli("limit", "list", "--json").stdout)
    assert [
        (lim["namespace"], lim["goal"], lim["running"], lim["max_per_key"])
        for lim in listed["limits"]
    ] == [("media", "render", 1, 1)]
    api = Api(sqlite_server.url, tenant_key)
    try:
        assert listed == api.get("/limits").json()  # every field, as the server says
    finally:
        api.close()
    table = cli("limit", "list").stdout.splitlines()
    assert table[1].split()[1:] == ["media", "render", "1", "3", "1"]
    assert table[0].split() == [
        "OWNER",
        "NAMESPACE",
        "GOAL",
        "RUNNING",
        "MAX",
        "PER",
        "KEY",
    ]
    gone = cli("limit", "delete", "render", "-n", "media", "--json")
    assert json.loads(gone.stdout)["deleted"] is True
    assert client.claim(goal="render", namespace="media")
    assert_one_line_error(cli("limit", "delete", "render", "-n", "media"), 1, "404")


def test_a_bad_limit_is_a_usage_error(cli: Cli) -> None:
    assert_one_line_error(cli("limit", "set", "render", "0"), 1, "max_running")
