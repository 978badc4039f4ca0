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


def test_schedule_set_concurrency_key_goes_with_every_tick(
    cli: Cli, client: IntentClient
) -> None:
    assert "--concurrency-key KEY" in cli("schedule", "set", "--help").stdout
    made = cli(
        "schedule",
        "set",
        "renders",
        "0 * * * *",
        "render",
        "--concurrency-key",
        "customer-42",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["intent"]["concurrency_key"] == "customer-42"
    stored = client.get_schedule("renders").intent
    assert stored["concurrency_key"] == "customer-42"
    assert "concurrency key customer-42" in cli("schedule", "show", "renders").stdout

    fired = cli("schedule", "trigger", "renders").stdout.strip()
    assert client.get_intent(fired).concurrency_key == "customer-42"
