"""Start-up failures explained from the exception chain, and the banner
(pure: no database, no sockets)."""

from __future__ import annotations

from intent_bus.server.banner import banner_lines
from intent_bus.server.bootstrap import AdminBootstrap
from intent_bus.server.settings import Settings
from intent_bus.server.startup import database_label, explain, root_cause, sqlite_path
from intent_bus.storage.base import ApiKey


class DriverError(Exception):
    pass


class Translated(Exception):
    pass


def chained(message: str) -> Exception:
    try:
        try:
            raise DriverError(message)
        except DriverError as exc:
            raise Translated("OperationalError") from exc
    except Translated as exc:
        return exc


def test_root_cause_is_the_drivers_error() -> None:
    exc = chained("boom")
    assert isinstance(root_cause(exc), DriverError)


def test_missing_postgres_database_is_named_with_createdb() -> None:
    exc = chained(
        'connection failed: connection to server at "127.0.0.1", port 5432 '
        'failed: FATAL:  database "bus" does not exist'
    )
    line = explain(exc, "postgresql://u:pw@h:5432/bus")
    assert line == (
        "cannot open the database postgresql://u:***@h:5432/bus: "
        'database "bus" does not exist; create it first: createdb bus '
        "(or CREATE DATABASE bus), see docs/DEPLOYMENT.md"
    )


def test_unknown_cause_is_still_one_line() -> None:
    line = explain(chained("odd\nthing"), "postgresql://h/db")
    assert line == "cannot open the database postgresql://h/db: odd thing"


def test_database_label_and_sqlite_path() -> None:
    assert sqlite_path("sqlite:////var/bus.db?synchronous=full") is not None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://h/db") is None
    assert database_label("postgresql://u@h/db?pool_max=4") == "postgresql://u@h/db"
    assert "pw" not in database_label("postgresql://u:pw@h/db")


def key(key_id: str) -> ApiKey:
    return ApiKey(
        id=key_id, secret="ak_secret", owner="admin", role="admin", created_at=0.0
    )


def test_banner_shows_the_key_only_when_generated() -> None:
    settings = Settings(db_url="sqlite:////data/bus.db", port=9000)
    first = "\n".join(banner_lines(settings, AdminBootstrap(key("k1"), True, False)))
    assert "http://127.0.0.1:9000" in first and "/data/bus.db" in first
    assert (
        "export INTENT_BUS_ADMIN_KEY=ak_secret; intent-bus keys create alice" in first
    )
    later = "\n".join(banner_lines(settings, AdminBootstrap(key("k1"), False, False)))
    assert "ak_secret" not in later and "INTENT_BUS_ADMIN_KEY=<new secret>" in later
    replaced = AdminBootstrap(key("k2"), False, True, (key("k1"),))
    text = "\n".join(banner_lines(settings, replaced))
    assert "revoked the previous admin key k1" in text and "ak_secret" not in text
