"""A restarted server finds its database as it left it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from intent_bus.server.settings import Settings
from tests.harness import ServerProcess, running_server


def test_restart_keeps_intents_keys_results_and_kv(tmp_path: Path) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'bus.db'}")
    with running_server(settings) as first:
        key = first.create_tenant("keeper")
        api = {"X-API-KEY": key}
        done = httpx.post(f"{first.url}/intent", json={"goal": "a"}, headers=api).json()
        waiting = httpx.post(
            f"{first.url}/intent", json={"goal": "b", "payload": [1]}, headers=api
        ).json()
        lease = httpx.post(f"{first.url}/claim?goal=a", headers=api).json()
        httpx.post(
            f"{first.url}/fulfill/{done['id']}",
            json={"claim_token": lease["claim_token"], "result": {"ok": 1}},
            headers=api,
        )
        httpx.post(f"{first.url}/set/k", json={"value": "v", "ttl": 600}, headers=api)
    with running_server(settings) as second:
        result = httpx.get(f"{second.url}/result/{done['id']}", headers=api).json()
        assert result["status"] == "fulfilled" and result["result"] == {"ok": 1}
        claimed = httpx.post(f"{second.url}/claim?goal=b", headers=api).json()
        assert claimed["id"] == waiting["id"] and claimed["payload"] == [1]
        assert httpx.get(f"{second.url}/get/k", headers=api).json() == {"value": "v"}


@pytest.mark.slow
def test_generated_admin_key_is_printed_once_and_reused(tmp_path: Path) -> None:
    db = tmp_path / "bus.db"
    first = ServerProcess(db, admin_key=None)
    try:
        match = re.search(r"admin key.*: (ak_\S+)", first.output())
        assert match, first.output()
        admin_key = match.group(1)
        created = httpx.post(
            f"{first.url}/admin/keys",
            json={"owner": "t"},
            headers={"X-API-KEY": admin_key},
        )
        assert created.status_code == 201
    finally:
        first.stop()
    second = ServerProcess(db, admin_key=None)
    try:
        assert "ak_" not in second.output()
        listed = httpx.get(f"{second.url}/admin/keys", headers={"X-API-KEY": admin_key})
        assert listed.status_code == 200
        assert [k["owner"] for k in listed.json()["keys"] if k["role"] == "tenant"] == [
            "t"
        ]
    finally:
        second.stop()


@pytest.mark.slow
def test_configured_admin_key_retires_the_generated_one(tmp_path: Path) -> None:
    db = tmp_path / "bus.db"
    first = ServerProcess(db, admin_key=None)
    match = re.search(r"admin key.*: (ak_\S+)", first.output())
    first.stop()
    assert match
    second = ServerProcess(db, admin_key="ak_configured_1234567890")
    try:
        old = httpx.get(
            f"{second.url}/admin/stats", headers={"X-API-KEY": match.group(1)}
        )
        assert old.status_code == 401
        new = httpx.get(
            f"{second.url}/admin/stats",
            headers={"X-API-KEY": "ak_configured_1234567890"},
        )
        assert new.status_code == 200
    finally:
        second.stop()
