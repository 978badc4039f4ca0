"""Command-line flags and environment -> Settings."""

from __future__ import annotations

import pytest

from intent_bus.server.run import (
    build_parser,
    database_url,
    raise_fd_limit,
    settings_from,
)


def test_defaults_give_a_local_sqlite_server() -> None:
    settings = settings_from(build_parser().parse_args([]), {})
    assert settings.host == "127.0.0.1" and settings.port == 8000
    assert settings.db_url == "sqlite:///intent-bus.db"
    assert settings.admin_key is None and settings.rate_limit == 0
    assert settings.retention_seconds == 7 * 86400


def test_flags_and_admin_key_from_environment() -> None:
    args = build_parser().parse_args(
        [
            "--db",
            "/tmp/x.db",
            "--claim-timeout",
            "5",
            "--rate-limit",
            "100",
            "--require-signatures",
            "--retention-days",
            "1",
            "--port",
            "9000",
        ]
    )
    settings = settings_from(args, {"INTENT_BUS_ADMIN_KEY": "ak_env"})
    assert settings.db_url == "sqlite:////tmp/x.db"
    assert settings.claim_timeout == 5 and settings.rate_limit == 100
    assert settings.require_signatures and settings.admin_key == "ak_env"
    assert settings.retention_seconds == 86400 and settings.port == 9000


def test_database_url_keeps_urls() -> None:
    assert database_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert database_url("sqlite:///a.db") == "sqlite:///a.db"


@pytest.mark.parametrize(
    "argv",
    [
        ["--claim-timeout", "0"],
        ["--rate-limit", "-1"],
        ["--ssl-certfile", "c.pem"],
        ["--max-connections", "0"],
        ["--request-timeout", "0"],
    ],
)
def test_invalid_flags_are_refused(argv: list[str]) -> None:
    with pytest.raises(ValueError):
        settings_from(build_parser().parse_args(argv), {})


def test_connection_limits_and_metrics_key() -> None:
    defaults = settings_from(build_parser().parse_args([]), {})
    assert defaults.max_connections == 4096
    assert defaults.request_timeout == 10.0
    assert defaults.metrics_key is None
    from_env = settings_from(
        build_parser().parse_args([]), {"INTENT_BUS_METRICS_KEY": "mk_env"}
    )
    assert from_env.metrics_key == "mk_env"
    args = build_parser().parse_args(
        [
            "--max-connections",
            "50",
            "--request-timeout",
            "2.5",
            "--metrics-key",
            "mk_flag",
        ]
    )
    settings = settings_from(args, {"INTENT_BUS_METRICS_KEY": "mk_env"})
    assert (settings.max_connections, settings.request_timeout) == (50, 2.5)
    assert settings.metrics_key == "mk_flag"


def test_the_open_files_limit_is_raised_for_max_connections() -> None:
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2256:
        pytest.skip("the hard open-files limit is too low to show the raise")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        assert raise_fd_limit(2000) == 2256
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 2256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
