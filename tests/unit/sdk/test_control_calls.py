"""The control API's requests, checks and answers, built without a socket."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from intent_bus import protocol
from intent_bus.sdk import control_calls
from intent_bus.sdk.call import Safety
from intent_bus.sdk.control_models import IntentPage, IntentRow
from intent_bus.sdk.exceptions import (
    IntentBusError,
    IntentBusProtocolError,
)
from intent_bus.sdk.operations import Operations, Plan

ROW = {
    "id": "a" * 32,
    "status": "claimed",
    "goal": "g",
    "namespace": "default",
    "claim_attempts": 1,
    "max_attempts": 3,
    "priority": 100,
    "owner": "acme",
    "worker": "w1",
    "cancel_requested": True,
}


def reply(status: int, data: Any = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(data).encode())


def error(status: int, code: str) -> httpx.Response:
    return reply(status, {"error": {"code": code, "message": code}})


def run(plan: Plan[Any], answer: Any) -> tuple[Any, Any]:
    step = next(plan)
    try:
        plan.send(answer)
    except StopIteration as done:
        return step, done.value
    raise AssertionError("plan took more than one step")


def test_search_sends_every_filter_and_reads_the_page() -> None:
    call = control_calls.list_intents(
        status=["dead", "cancelled"],
        goal="g",
        namespace="n",
        worker="w1",
        error="disk",
        owner="acme",
        intent_id="abc",
        limit=200,
        cursor="opaque",
    )
    assert (call.method, call.path, call.retry) == ("GET", "/intents", Safety.ALWAYS)
    assert call.params == (
        ("limit", "200"),
        ("status", "dead"),
        ("status", "cancelled"),
        ("goal", "g"),
        ("namespace", "n"),
        ("worker", "w1"),
        ("error", "disk"),
        ("id", "abc"),
        ("owner", "acme"),
        ("cursor", "opaque"),
    )
    page = call.parse(reply(200, {"intents": [ROW], "next_cursor": "c2"}), False)
    assert isinstance(page, IntentPage) and page.next_cursor == "c2"
    assert page.intents[0].worker == "w1" and page.intents[0].cancel_requested


def test_search_defaults_to_one_page_of_fifty_with_no_filter() -> None:
    call = control_calls.list_intents()
    assert call.params == (("limit", str(protocol.INTENT_LIST_DEFAULT)),)
    assert call.parse(reply(200, {"intents": [], "next_cursor": None}), False) == (
        IntentPage(())
    )
    assert control_calls.list_intents(status="open").params[1] == ("status", "open")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "done"}, "status must be one of"),
        ({"status": ["open", "bogus"]}, "got 'bogus'"),
        ({"status": 3}, "status must be a status name"),
        ({"limit": 0}, "limit must be between 1 and 200"),
        ({"limit": protocol.INTENT_LIST_MAX + 1}, "limit must be between 1 and 200"),
        ({"goal": "g" * (protocol.GOAL_MAX_CHARS + 1)}, "goal must be at most"),
        ({"owner": ""}, "owner must not be empty"),
        ({"cursor": 5}, "cursor must be a string"),
    ],
)
def test_search_arguments_are_checked_before_sending(
    filters: dict[str, Any], message: str
) -> None:
    with pytest.raises(IntentBusError, match=message):
        control_calls.list_intents(**filters)


def test_a_page_that_breaks_the_contract_is_a_protocol_error() -> None:
    call = control_calls.list_intents()
    for broken in (
        {"next_cursor": None},
        {"intents": [{**ROW, "cancel_requested": "yes"}]},
        {"intents": [ROW], "next_cursor": 7},
        [ROW],
    ):
        with pytest.raises(IntentBusProtocolError):
            call.parse(reply(200, broken), False)
    with pytest.raises(IntentBusError) as info:
        call.parse(error(400, "invalid_request"), False)
    assert info.value.status_code == 400


def test_one_intent_its_events_and_its_explanation_are_reads_of_its_id() -> None:
    detail = control_calls.get_intent("a/b")
    assert (detail.method, detail.path) == ("GET", "/intents/a%2Fb")
    got = detail.parse(reply(200, {**ROW, "payload": {"x": 1}, "result": None}), False)
    assert got.payload == {"x": 1} and got.owner == "acme"
    assert got.concurrency_key is None and got.extra == {}  # an older server's
    keyed = detail.parse(reply(200, {**ROW, "concurrency_key": "customer-42"}), False)
    assert keyed.concurrency_key == "customer-42" and keyed.extra == {}
    with pytest.raises(IntentBusProtocolError, match="concurrency_key"):
        detail.parse(reply(200, {**ROW, "concurrency_key": 42}), False)

    events = control_calls.intent_events("i1")
    assert events.path == "/intents/i1/events"
    timeline = events.parse(
        reply(
            200,
            {
                "id": "i1",
                "events": [
                    {"type": "published", "at": 1},
                    {"type": "claimed", "at": 2.5, "worker": "w", "attempt": 1},
                ],
            },
        ),
        False,
    )
    assert [(e.type, e.at, e.attempt) for e in timeline] == [
        ("published", 1.0, None),
        ("claimed", 2.5, 1),
    ]
    with pytest.raises(IntentBusProtocolError, match="'at'"):
        events.parse(reply(200, {"events": [{"type": "x"}]}), False)

    explain = control_calls.explain("i1")
    assert explain.path == "/explain/i1"
    answer = explain.parse(
        reply(
            200,
            {
                "id": "i1",
                "status": "open",
                "claimable_now": False,
                "reasons": [
                    {"code": "paused", "message": "paused", "details": {"goal": "g"}}
                ],
            },
        ),
        False,
    )
    assert not answer.claimable_now
    assert answer.reasons[0].code == "paused"
    assert answer.reasons[0].details["goal"] == "g"
    with pytest.raises(IntentBusError) as info:
        explain.parse(error(404, "not_found"), False)
    assert info.value.status_code == 404


def test_explain_claim_sends_what_a_claim_would_and_never_claims() -> None:
    call = control_calls.explain_claim(
        goal="g", namespace="n", worker_id="w1", capabilities=["gpu", "ffmpeg"]
    )
    assert (call.method, call.path) == ("GET", "/explain/claim")
    assert call.params == (("namespace", "n"), ("goal", "g"))
    assert call.headers == (
        (protocol.HEADER_WORKER_ID, "w1"),
        (protocol.HEADER_WORKER_CAPABILITIES, "gpu,ffmpeg"),
    )
    answer = call.parse(
        reply(
            200,
            {
                "claimable": 0,
                "groups": [
                    {
                        "code": "capability_missing",
                        "message": "needs a100",
                        "count": 2,
                        "details": {"capability": "a100"},
                    }
                ],
            },
        ),
        False,
    )
    assert answer.claimable == 0 and answer.groups[0].count == 2
    with pytest.raises(IntentBusError, match="worker_id must be printable"):
        control_calls.explain_claim(worker_id="w\n")


def test_workers_pauses_and_stats_pass_the_admin_owner() -> None:
    workers = control_calls.list_workers("acme")
    assert (workers.path, workers.params) == ("/workers", (("owner", "acme"),))
    [worker] = workers.parse(
        reply(
            200,
            {
                "workers": [
                    {
                        "worker_id": "w1",
                        "owner": "acme",
                        "state": "live",
                        "capabilities": ["gpu"],
                        "goals": ["g"],
                        "namespaces": ["default"],
                        "in_flight": 1,
                        "last_seen": 10,
                        "client_version": "intent-bus-python/2",
                    }
                ]
            },
        ),
        False,
    )
    assert worker.capabilities == ("gpu",) and worker.last_seen == 10.0
    with pytest.raises(IntentBusProtocolError, match="capabilities"):
        workers.parse(
            reply(
                200, {"workers": [{"worker_id": "w", "state": "x", "capabilities": 1}]}
            ),
            False,
        )
    assert control_calls.list_pauses().params == ()
    stats = control_calls.stats()
    overview = stats.parse(
        reply(
            200,
            {
                "groups": [
                    {
                        "owner": "acme",
                        "namespace": "n",
                        "goal": "g",
                        "counts": {"open": 2, "dead": 0},
                        "oldest_open_age": 3,
                        "completions_per_minute": [0] * 59 + [4],
                        "paused": True,
                    }
                ],
                "generated_at": 100,
            },
        ),
        False,
    )
    group = overview.groups[0]
    assert group.counts["open"] == 2 and group.paused
    assert len(group.completions_per_minute) == 60
    assert group.completions_per_minute[-1] == 4.0
    with pytest.raises(IntentBusProtocolError, match="count of 'open'"):
        stats.parse(
            reply(
                200,
                {"groups": [{"namespace": "n", "goal": "g", "counts": {"open": "2"}}]},
            ),
            False,
        )


def test_cancel_and_requeue_say_when_a_lost_answer_may_have_acted() -> None:
    for build, path, verb in (
        (control_calls.cancel, "/cancel/i1", "cancelled"),
        (control_calls.requeue_intent, "/requeue/i1", "requeued"),
    ):
        call = build("i1")
        assert (call.method, call.path, call.retry) == ("POST", path, Safety.ALWAYS)
        row = call.parse(reply(200, ROW), False)
        assert isinstance(row, IntentRow) and row.cancel_requested
        with pytest.raises(IntentBusError) as info:
            call.parse(error(409, "conflict"), False)
        assert (info.value.status_code, info.value.code) == (409, "conflict")
        assert "earlier attempt" not in str(info.value)
        with pytest.raises(IntentBusError, match=f"may have {verb} it"):
            call.parse(error(409, "conflict"), True)


def test_pause_and_resume_send_the_namespace_and_goal() -> None:
    call = control_calls.pause("media", "resize", owner="acme")
    assert (call.method, call.path) == ("POST", "/pause")
    assert json.loads(call.body) == {
        "namespace": "media",
        "goal": "resize",
        "owner": "acme",
    }
    assert json.loads(control_calls.pause("media").body) == {
        "namespace": "media",
        "goal": None,
    }
    paused = call.parse(
        reply(
            200,
            {"namespace": "media", "goal": "resize", "owner": "acme", "paused_at": 5},
        ),
        False,
    )
    assert (paused.goal, paused.paused_at) == ("resize", 5.0)
    resume = control_calls.resume("media")
    assert resume.path == "/resume"
    assert resume.parse(reply(200, {"resumed": False}), False) is False
    assert resume.parse(reply(200, {"resumed": False}), True) is True
    with pytest.raises(IntentBusProtocolError):
        resume.parse(reply(200, {"resumed": "no"}), False)
    with pytest.raises(IntentBusError, match="namespace must not be empty"):
        control_calls.pause("")


def test_bulk_actions_send_the_filter_and_dry_run() -> None:
    call = control_calls.requeue_many(
        goal="g", error_contains="disk", owner="acme", dry_run=True
    )
    assert (call.method, call.path) == ("POST", "/intents/requeue")
    assert json.loads(call.body) == {
        "dry_run": True,
        "goal": "g",
        "error_contains": "disk",
        "owner": "acme",
    }
    result = call.parse(reply(200, {"matched": 3, "requeued": 0}), False)
    assert (result.matched, result.changed) == (3, 0)
    cancel = control_calls.cancel_many(namespace="n")
    assert cancel.path == "/intents/cancel"
    assert json.loads(cancel.body) == {"dry_run": False, "namespace": "n"}
    assert cancel.parse(reply(200, {"matched": 2, "cancelled": 2}), False).changed == 2
    with pytest.raises(IntentBusError, match="dry_run must be True or False"):
        control_calls.cancel_many(dry_run="yes")


def test_control_plans_yield_their_call_and_return_its_answer() -> None:
    ops = Operations()
    step, page = run(ops.list_intents(status="open", limit=5), "page")
    assert step.params[:2] == (("limit", "5"), ("status", "open")) and page == "page"
    step, _ = run(ops.cancel(IntentRow.from_json(ROW)), "row")
    assert step.path == f"/cancel/{ROW['id']}"
    step, _ = run(ops.requeue_many(goal="g", dry_run=True), "bulk")
    assert json.loads(step.body)["dry_run"] is True


def test_control_models_hold_exactly_the_protocol_fields() -> None:
    import dataclasses

    from intent_bus.sdk.control_models import IntentDetail, QueuePause

    def names(model: type) -> set[str]:
        return {f.name for f in dataclasses.fields(model)} - {"extra"}

    assert names(IntentRow) == set(protocol.INTENT_ROW_FIELDS)
    assert names(IntentDetail) == set(protocol.INTENT_DETAIL_FIELDS)
    assert names(QueuePause) == set(protocol.PAUSE_FIELDS)
