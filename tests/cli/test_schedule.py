"""`intent-bus schedule`: set, show, list, trigger and delete, as a user types them."""

from __future__ import annotations

import json

from intent_bus.sdk.client import IntentClient
from tests.cli.conftest import Cli


def test_schedule_set_show_list_trigger_delete(cli: Cli, client: IntentClient) -> None:
    made = cli(
        "schedule",
        "set",
        "nightly",
        "30 2 * * *",
        "report",
        '{"full": true}',
        "--timezone",
        "Europe/Berlin",
        "--overlap",
        "skip",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    view = json.loads(made.stdout)
    assert view["intent"]["payload"] == {"full": True}
    assert (view["overlap"], view["timezone"]) == ("skip", "Europe/Berlin")

    shown = cli("schedule", "show", "nightly")
    assert shown.returncode == 0
    assert "30 2 * * *  [Europe/Berlin]" in shown.stdout
    assert shown.stdout.count("next ") == 5

    listed = cli("schedule", "list")
    assert listed.stdout.splitlines()[0].split() == [
        "NAME",
        "OWNER",
        "CRON",
        "ZONE",
        "GOAL",
        "NEXT",
    ]
    assert "nightly" in listed.stdout
    assert [
        s["name"]
        for s in json.loads(cli("schedule", "list", "--json").stdout)["schedules"]
    ] == ["nightly"]

    fired = cli("schedule", "trigger", "nightly")
    assert fired.returncode == 0
    assert client.get_status(fired.stdout.strip()).goal == "report"

    assert cli("schedule", "delete", "nightly").stdout == "deleted nightly\n"
    empty = cli("schedule", "list")
    assert (empty.stdout, empty.stderr.strip()) == ("", "intent-bus: no schedules")


def test_schedule_bad_cron_fails_in_one_line_naming_it(cli: Cli) -> None:
    bad = cli("schedule", "set", "x", "* * *", "g")
    assert bad.returncode == 1
    assert "cron" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
