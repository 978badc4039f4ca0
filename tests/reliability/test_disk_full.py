"""Disk full: the SQLite database on a 4 MiB tmpfs fills up.

The server answers 507 `insufficient_storage` in the error envelope, keeps
serving reads, loses nothing it acknowledged, and accepts writes again once
space returns (a filler file is deleted), without a restart. Mounting needs
root: skipped with the reason elsewhere, a failure in CI.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intent_bus import protocol
from tests.harness import ServerProcess

pytestmark = pytest.mark.slow

ADMIN_KEY = "ak_disk_full_0123456789"
PAYLOAD = "x" * 32_000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("CI runs as root: the disk-full test must mount its tmpfs")
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs: {done.stderr}")
        pytest.skip(f"cannot mount a tmpfs: {done.stderr}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_clear_error_and_recovers(small_disk: Path) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 1_500_000)
    server = ServerProcess(small_disk / "bus.db", admin_key=ADMIN_KEY)
    try:
        key = httpx.post(
            f"{server.url}/admin/keys",
            json={"owner": "disk"},
            headers={protocol.HEADER_API_KEY: ADMIN_KEY},
        ).json()["api_key"]
        headers = {protocol.HEADER_API_KEY: key}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            acked: list[str] = []
            refused = None
            for _ in range(400):
                response = http.post("/intent", json={"goal": "d", "payload": PAYLOAD})
                if response.status_code != 201:
                    refused = response
                    break
                acked.append(response.json()["id"])
            assert refused is not None, "the 4 MiB disk never filled"
            assert acked, "the disk was full before the first publish"
            assert refused.status_code == 507, refused.text
            assert (
                refused.json()["error"]["code"]
                == protocol.ErrorCode.INSUFFICIENT_STORAGE
            )
            # Reads keep working, and every acknowledged publish is there.
            for intent_id in acked:
                assert http.get(f"/status/{intent_id}").status_code == 200
            filler.unlink()  # space returns
            again = http.post("/intent", json={"goal": "d", "payload": PAYLOAD})
            assert again.status_code == 201, again.text
            acked.append(again.json()["id"])
        server.stop()
        restarted = ServerProcess(small_disk / "bus.db", admin_key=ADMIN_KEY)
        try:
            for intent_id in acked:
                view = httpx.get(f"{restarted.url}/status/{intent_id}", headers=headers)
                assert view.status_code == 200, intent_id
        finally:
            restarted.stop()
    finally:
        server.stop()
