"""Argument parsing and error wording of the CLI (no server, no sockets)."""

from __future__ import annotations

import argparse
import math
import subprocess
import sys

import pytest

from intent_bus.cli.errors import EXIT_USAGE, CliError, describe
from intent_bus.cli.kv import stored_ttl
from intent_bus.cli.main import build_parser, main
from intent_bus.cli.options import WAIT_FOREVER, json_argument
from intent_bus.cli.output import status_lines, table
from intent_bus.cli.server import server_arguments
from intent_bus.sdk.exceptions import (
    IntentBusAuthError,
    IntentBusError,
    IntentBusNetworkError,
    IntentBusRateLimitError,
)


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_json_argument_accepts_any_json_value() -> None:
    assert json_argument('{"a": [1, 2.5, null]}', "x") == {"a": [1, 2.5, None]}
    assert json_argument('"text"', "x") == "text"
    assert json_argument("3", "x") == 3


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "{'a': 1}", "", "{"])
def test_json_argument_refuses_what_the_wire_refuses(text: str) -> None:
    with pytest.raises(CliError) as info:
        json_argument(text, "JSON payload")
    assert info.value.code == EXIT_USAGE
    assert info.value.message.startswith("JSON payload is not valid JSON")
    assert "\n" not in info.value.message


def test_bare_word_gets_a_quoting_hint() -> None:
    with pytest.raises(CliError) as info:
        json_argument("hello", "JSON payload")
    assert "'\"text\"'" in info.value.message


def test_common_options_before_or_after_the_command() -> None:
    before = parse("--url", "http://h:1", "--json", "status", "abc")
    after = parse("status", "abc", "--url", "http://h:1", "--json")
    for ns in (before, after):
        assert (ns.url, ns.json, ns.id) == ("http://h:1", True, "abc")


def test_publish_defaults_and_flags() -> None:
    ns = parse("publish", "g", "{}")
    assert (ns.namespace, ns.public, ns.priority, ns.wait) == (
        "default",
        False,
        100,
        None,
    )
    ns = parse("publish", "g", "{}", "-n", "media", "-p", "--wait")
    assert (ns.namespace, ns.public, ns.wait) == ("media", True, WAIT_FOREVER)
    assert parse("publish", "g", "{}", "--wait", "2.5").wait == 2.5
    assert math.isinf(WAIT_FOREVER)


def test_listen_flags() -> None:
    ns = parse(
        "listen", "g", "-n", "m", "-w", "node", "-c", "gpu,ffmpeg", "-s", "--once",
        "--interval", "2", "--concurrency", "4", "--exec", "cat",
    )  # fmt: skip
    assert (ns.namespace, ns.worker_id, ns.capabilities, ns.silent, ns.once) == (
        "m", "node", "gpu,ffmpeg", True, True,
    )  # fmt: skip
    assert (ns.interval, ns.concurrency, ns.command) == (2.0, 4, "cat")


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", "g"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "required: JSON" in err
    assert main(["listen", "g", "--interval", "0"]) == EXIT_USAGE
    assert "must be a number > 0" in capsys.readouterr().err


def test_version_and_help_return_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("intent-bus ")
    assert main(["kv", "--help"]) == 0


def test_describe_names_the_kind_of_failure() -> None:
    net = IntentBusNetworkError("could not connect")
    assert describe(net, "http://h:1") == (
        "cannot reach the Intent Bus server at http://h:1: could not connect"
    )
    refused = IntentBusAuthError("unknown key", code="unauthorized", status_code=401)
    assert describe(refused).startswith("authentication failed: unknown key")
    forbidden = IntentBusAuthError("nope", code="forbidden", status_code=403)
    assert describe(forbidden).endswith(
        "(this command needs an admin key: export INTENT_BUS_ADMIN_KEY=ak_... "
        "or pass --api-key)"
    )
    missing = IntentBusAuthError("no Intent Bus API key: pass api_key=..., set X")
    assert describe(missing) == "no Intent Bus API key: pass --api-key, set X"
    limited = IntentBusRateLimitError("slow down", status_code=429, retry_after=3)
    assert describe(limited).endswith("; retry in 3 s")
    gone = IntentBusError("intent not found", code="not_found", status_code=404)
    assert describe(gone).startswith("not found: intent not found")
    assert describe(IntentBusError("two\nlines")) == "two lines"


def test_status_lines_and_table() -> None:
    assert status_lines({"id": "a", "status": "open", "error": None}) == (
        "id      a\nstatus  open"
    )
    assert table([("k1", None)], ("ID", "REVOKED")) == "ID  REVOKED\nk1  -"


def test_cli_and_worker_import_no_server_code() -> None:
    # A fresh interpreter: what importing the CLI pulls in, and nothing more.
    code = (
        "import sys, intent_bus.cli.main, intent_bus.worker, intent_bus;"
        "intent_bus.WorkerRuntime;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'uvicorn', 'msgspec', 'psycopg', 'psycopg_pool') "
        "or m.startswith(('intent_bus.server', 'intent_bus.storage')));"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def test_server_arguments_take_the_global_json_along() -> None:
    assert server_arguments(["server", "--port", "1"]) == ["--port", "1"]
    assert server_arguments(["--json", "server", "--db", "x"]) == [
        "--db",
        "x",
        "--json",
    ]
    assert server_arguments(["status", "server"]) is None
    with pytest.raises(CliError) as info:
        server_arguments(["--url", "http://h", "server"])
    assert info.value.code == EXIT_USAGE and "--url" in info.value.message


def test_stored_ttl_is_the_servers_unless_within_clock_skew() -> None:
    assert stored_ttl(999999, 1000.0 + 86400, 1000.0) == 86400
    assert stored_ttl(60, 1000.0 + 58, 1000.0) == 60  # skew, not a cap
    assert stored_ttl(60, None, 1000.0) == 60
