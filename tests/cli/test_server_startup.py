"""`intent-bus server` start-up: every failure is one stderr line naming the
cause and the fix (exit 1, or 2 for a bad argument), never a traceback; a start
that works prints a banner saying where the data lives and what to do next."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.cli.conftest import assert_one_line_error, clean_env
from tests.cli.test_errors_and_server import free_port
from tests.pgutil import postgres_base_url
from tests.worker.support import wait_for

pytestmark = pytest.mark.slow


def server(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`intent-bus server ARGS` that is expected to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "intent_bus.cli.main", *args],
        cwd=tmp_path,
        env={**clean_env(tmp_path), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Started:
    port: int
    out: str = ""
    err: str = ""


@contextmanager
def running(
    tmp_path: Path, db: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Started]:
    """A server on a free port, until the block ends (then SIGTERM); its
    output is in the yielded `Started` after the block."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intent_bus.cli.main",
            "server",
            "--port",
            str(port),
            "--db",
            str(db),
            "--log-level",
            "warning",
            *args,
        ],
        cwd=tmp_path,
        env={**clean_env(tmp_path), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def healthy() -> bool:
        assert proc.poll() is None, proc.communicate()
        try:
            return (
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
                == 200
            )
        except httpx.TransportError:
            return False

    started = Started(port)
    try:
        wait_for(healthy, 30, "the server to answer")
        yield started
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            started.out, started.err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_missing_directory_is_refused_not_created(tmp_path: Path) -> None:
    proc = server(tmp_path, "server", "--port", "0", "--db", "/nonexistent/dir/bus.db")
    assert_one_line_error(proc, 1, "/nonexistent/dir", "does not exist", "mkdir -p")
    assert not Path("/nonexistent").exists()


def test_unsupported_url_and_bad_option_are_usage_errors(tmp_path: Path) -> None:
    proc = server(tmp_path, "server", "--port", "0", "--db", "mysql://u@h/db")
    assert_one_line_error(proc, 2, "mysql://u@h/db", "sqlite:/// or postgresql://")
    proc = server(tmp_path, "server", "--db", "sqlite:///bus.db?synchronous=bogus")
    assert_one_line_error(proc, 2, "synchronous", "'bogus'")
    assert_one_line_error(server(tmp_path, "server", "--port", "x"), 2, "--port")


def test_missing_or_broken_tls_files_are_named(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    proc = server(
        tmp_path, "server", "--ssl-certfile", str(cert), "--ssl-keyfile", "k.pem"
    )
    assert_one_line_error(proc, 1, f"--ssl-certfile {cert}: no such file")
    cert.write_text("not a certificate")
    proc = server(
        tmp_path, "server", "--ssl-certfile", str(cert), "--ssl-keyfile", str(cert)
    )
    assert_one_line_error(proc, 1, str(cert), "PEM")


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("shopping list\n" * 100)
    proc = server(tmp_path, "server", "--port", "0", "--db", str(junk))
    assert_one_line_error(proc, 1, str(junk), "not a database", "another --db")


def test_a_database_newer_than_the_code(tmp_path: Path) -> None:
    db = tmp_path / "bus.db"
    with running(tmp_path, db):
        pass
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, 0)")
    proc = server(tmp_path, "server", "--port", "0", "--db", str(db))
    assert_one_line_error(proc, 1, "version 999 is newer", "upgrade Intent Bus")


def test_a_port_in_use(tmp_path: Path) -> None:
    with running(tmp_path, tmp_path / "a.db") as first:
        port = str(first.port)
        proc = server(tmp_path, "server", "--port", port, "--db", "b.db")
    assert_one_line_error(proc, 1, f"127.0.0.1:{port}", "--port")


def test_json_error_document_on_stdout(tmp_path: Path) -> None:
    for argv in (
        ["--json", "server", "--db", "mysql://u@h/db"],
        ["server", "--db", "mysql://u@h/db", "--json"],
    ):
        proc = server(tmp_path, *argv)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
        error = json.loads(proc.stdout)["error"]
        assert error["code"] == "usage" and "mysql://" in error["message"]


def test_unreachable_postgres_port(tmp_path: Path) -> None:
    proc = server(
        tmp_path, "server", "--db", f"postgresql://u@127.0.0.1:{free_port()}/x"
    )
    assert_one_line_error(proc, 1, "Connection refused", "host and port")
    assert "Busy" not in proc.stderr


@pytest.mark.postgres
def test_missing_postgres_database_names_it_and_createdb(tmp_path: Path) -> None:
    parts = urlsplit(postgres_base_url())
    url = urlunsplit(parts._replace(path="/intent_bus_no_such_db"))
    proc = server(tmp_path, "server", "--port", "0", "--db", url)
    assert_one_line_error(
        proc, 1, 'database "intent_bus_no_such_db" does not exist', "createdb"
    )


@pytest.mark.postgres
def test_postgres_password_is_not_printed(tmp_path: Path) -> None:
    parts = urlsplit(postgres_base_url())
    host = parts.netloc.rsplit("@", 1)[-1]
    url = urlunsplit(parts._replace(netloc=f"no_such_role:hunter2@{host}"))
    proc = server(tmp_path, "server", "--port", "0", "--db", url)
    line = assert_one_line_error(proc, 1, "no_such_role", "user and password")
    assert "hunter2" not in line


def test_first_start_banner_then_later_starts(tmp_path: Path) -> None:
    db = tmp_path / "bus.db"
    with running(tmp_path, db) as first:
        pass
    out = first.out
    assert str(db) in out and "http://127.0.0.1:" in out
    key = next(w for w in out.split() if w.startswith("ak_"))
    assert f"export INTENT_BUS_ADMIN_KEY={key}; intent-bus keys create alice" in out

    with running(tmp_path, db) as again:
        pass
    out = again.out
    assert key not in out
    assert "admin key: exists" in out and "INTENT_BUS_ADMIN_KEY=" in out

    with running(tmp_path, db, env={"INTENT_BUS_ADMIN_KEY": "ak_chosen"}) as chosen:
        pass
    out = chosen.out
    assert "revoked the previous admin key key_admin_0001" in out
    assert key not in out and "ak_chosen" not in out


def test_json_banner(tmp_path: Path) -> None:
    with running(tmp_path, tmp_path / "bus.db", "--json") as proc:
        pass
    banner = json.loads(proc.out.splitlines()[0])
    assert banner["admin_key_created"] is True
    assert banner["admin_key"].startswith("ak_")
    assert banner["url"].startswith("http://127.0.0.1:")


def test_access_log_flag(tmp_path: Path) -> None:
    with running(
        tmp_path, tmp_path / "bus.db", "--access-log", "--log-level", "info"
    ) as proc:
        pass
    assert "GET /healthz" in proc.out
    with running(tmp_path, tmp_path / "quiet.db", "--log-level", "info") as proc:
        pass
    assert "GET /healthz" not in proc.out + proc.err
