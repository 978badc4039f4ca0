"""API keys at rest: the database holds no key in plaintext, on both backends;
signed and unsigned requests and revocation work as before; a restart needs the
same key-encryption key, and without it (or with another) the server refuses
to start in one line; rotation re-seals every key."""

from __future__ import annotations

import base64
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from intent_bus.server.settings import Settings
from intent_bus.storage import open_store
from intent_bus.storage.base import ApiKey
from tests.harness import ServerHandle, running_server
from tests.server.api import Api

ROOT = Path(__file__).resolve().parents[2]


def new_kek() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def stored_bytes(db_url: str) -> bytes:
    """Everything the database keeps about keys, as bytes to search."""
    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        files = [path, *path.parent.glob(path.name + "-*")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT * FROM api_keys").fetchall()
    return repr(rows).encode() + b"".join(
        bytes(v) for row in rows for v in row if isinstance(v, (bytes, memoryview))
    )


def start_server(
    db_url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m intent_bus.server` that is expected to refuse to start."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "intent_bus.server",
            "--db",
            db_url,
            "--port",
            "0",
            *args,
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("INTENT_BUS_")},
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_no_key_is_stored_in_plaintext_and_requests_still_work(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    tenant_key = server.create_tenant("alice")
    unsigned = clients(server, tenant_key)
    signed = clients(server, tenant_key, signed=True)
    assert unsigned.post("/intent", {"goal": "g"}).status_code == 201
    assert signed.post("/intent", {"goal": "g"}).status_code == 201
    admin = clients(server, server.admin_key)
    assert admin.get("/admin/keys").status_code == 200

    data = stored_bytes(server.settings.db_url)
    for secret in (tenant_key, server.admin_key):
        assert secret.encode() not in data
        assert secret[3:].encode() not in data  # not even without its prefix

    key_id = next(
        k["id"]
        for k in admin.get("/admin/keys").json()["keys"]
        if k["owner"] == "alice"
    )
    assert admin.delete(f"/admin/keys/{key_id}").status_code == 200
    assert unsigned.post("/intent", {"goal": "g"}).status_code == 401
    assert signed.post("/intent", {"goal": "g"}).status_code == 401


def test_the_kek_file_is_created_beside_the_database_mode_600(tmp_path: Path) -> None:
    db = tmp_path / "bus.db"
    with running_server(Settings(db_url=f"sqlite:///{db}")):
        pass
    kek = tmp_path / "bus.db.kek"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600
    assert len(base64.urlsafe_b64decode(kek.read_text().strip() + "=")) == 32


def test_plaintext_keys_of_an_older_version_are_sealed_at_start(
    db_url: str, tmp_path: Path
) -> None:
    import asyncio

    async def old_version() -> None:
        store = open_store(db_url)  # no key-encryption key: plaintext, as before
        await store.start()
        try:
            await store.key_create(
                ApiKey(id="key_old", secret="tk_old_plaintext_secret", owner="bob",
                       role="tenant", created_at=1.0)
            )  # fmt: skip
        finally:
            await store.close()

    asyncio.run(old_version())
    assert b"tk_old_plaintext_secret" in stored_bytes(db_url)
    with running_server(Settings(db_url=db_url, kek=new_kek())) as server:
        response = httpx.post(
            f"{server.url}/intent",
            json={"goal": "g"},
            headers={"X-API-KEY": "tk_old_plaintext_secret"},
        )
        assert response.status_code == 201
    assert b"tk_old_plaintext_secret" not in stored_bytes(db_url)


def test_restart_needs_the_same_kek_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "bus.db"
    url = f"sqlite:///{db}"
    with running_server(Settings(db_url=url)) as server:
        tenant = server.create_tenant()
    with running_server(Settings(db_url=url)) as again:
        ok = httpx.post(f"{again.url}/intent", json={"goal": "g"},
                        headers={"X-API-KEY": tenant})  # fmt: skip
        assert ok.status_code == 201
    kek = tmp_path / "bus.db.kek"
    kept = kek.read_text()
    kek.unlink()
    one_line_error(start_server(url), "encrypted API keys", "missing", str(kek))
    assert not kek.exists()  # never silently replaced
    kek.write_text(new_kek() + "\n")
    one_line_error(start_server(url), "does not decrypt")
    kek.write_text(kept)
    rotated = tmp_path / "new.kek"
    done = start_server(url, "--rotate-kek", str(rotated))
    assert done.returncode == 0, done.stderr
    assert "re-sealed" in done.stdout
    assert stat.S_IMODE(rotated.stat().st_mode) == 0o600
    one_line_error(start_server(url), "does not decrypt")
    with running_server(Settings(db_url=url, kek_file=str(rotated))) as after:
        ok = httpx.post(f"{after.url}/intent", json={"goal": "g"},
                        headers={"X-API-KEY": tenant})  # fmt: skip
        assert ok.status_code == 201


@pytest.mark.postgres
def test_restart_needs_the_same_kek_postgres(db_url: str) -> None:
    if not db_url.startswith("postgres"):
        pytest.skip("the SQLite case is above")
    kek = new_kek()
    with running_server(Settings(db_url=db_url, kek=kek)) as server:
        tenant = server.create_tenant()
    with running_server(Settings(db_url=db_url, kek=kek)) as again:
        ok = httpx.post(f"{again.url}/intent", json={"goal": "g"},
                        headers={"X-API-KEY": tenant})  # fmt: skip
        assert ok.status_code == 201
    one_line_error(start_server(db_url), "PostgreSQL needs a key-encryption key")
    one_line_error(
        start_server(db_url, env={"INTENT_BUS_KEK": new_kek()}), "does not decrypt"
    )
    one_line_error(
        start_server(db_url, env={"INTENT_BUS_KEK": "short"}),
        "not a key-encryption key",
    )
