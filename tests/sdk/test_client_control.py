"""The control API's search, detail and pauses through both clients, live."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from intent_bus import IntentBusError, IntentStatus
from intent_bus.sdk.control_models import IntentDetail, IntentPage, IntentRow
from tests.harness import ServerHandle
from tests.sdk.conftest import MakeClient


@pytest.fixture
def admin(make_client: MakeClient, sqlite_server: ServerHandle) -> Any:
    return make_client(api_key=sqlite_server.admin_key)


@pytest.fixture
def rival(make_client: MakeClient, sqlite_server: ServerHandle) -> Any:
    """A client of another tenant."""
    return make_client(api_key=sqlite_server.create_tenant("rival"))


def test_search_pages_newest_first_and_iter_intents_walks_every_page(
    client: Any,
) -> None:
    published = [client.publish("crawl", {"n": n}, namespace="web") for n in range(5)]
    client.publish("other", {}, namespace="web")
    newest_first = [job.id for job in reversed(published)]

    first = client.list_intents(goal="crawl", limit=2)
    assert isinstance(first, IntentPage)
    assert [row.id for row in first.intents] == newest_first[:2]
    assert all(isinstance(row, IntentRow) for row in first.intents)
    assert first.next_cursor is not None
    second = client.list_intents(goal="crawl", limit=2, cursor=first.next_cursor)
    assert [row.id for row in second.intents] == newest_first[2:4]

    walked = list(client.iter_intents(goal="crawl", limit=2))
    assert [row.id for row in walked] == newest_first
    row = walked[0]
    assert (row.status, row.namespace, row.worker, row.cancel_requested) == (
        "open",
        "web",
        None,
        False,
    )
    assert row.owner is not None


def test_iter_intents_fetches_a_page_only_when_it_is_needed(client: Any) -> None:
    for n in range(3):
        client.publish("lazy", {"n": n})
    walker = client.iter_intents(goal="lazy", limit=1)
    assert [next(walker).goal, next(walker).goal] == ["lazy", "lazy"]
    walker.close()  # stopping early is fine
    # Nothing is sent before the first row is asked for: a refused filter
    # (a tenant naming an owner) surfaces only then.
    refused = iter(client.iter_intents(owner="someone"))
    with pytest.raises(IntentBusError) as info:
        next(refused)
    assert info.value.status_code == 403


def test_search_filters_by_status_and_worker_and_claims_show_the_worker(
    client: Any,
) -> None:
    taken = client.publish("job", {})
    waiting = client.publish("job", {})
    claimed = client.claim(goal="job", worker_id="node-7")
    assert claimed.id == taken.id  # the older of two equals
    rows = client.list_intents(status="claimed").intents
    assert [(r.id, r.worker) for r in rows] == [(taken.id, "node-7")]
    assert [r.id for r in client.list_intents(worker="node-7").intents] == [taken.id]
    both = client.list_intents(status=["open", "claimed"]).intents
    assert {r.id for r in both} == {waiting.id, taken.id}


def test_get_intent_shows_payload_and_result(client: Any) -> None:
    job = client.publish("sum", {"a": 1, "b": 2})
    claimed = client.claim(goal="sum")
    client.fulfill(claimed, result=3)
    detail = client.get_intent(job.id)
    assert isinstance(detail, IntentDetail) and isinstance(detail, IntentStatus)
    assert (detail.payload, detail.result, detail.result_type, detail.status) == (
        {"a": 1, "b": 2},
        3,
        "json",
        "fulfilled",
    )


def test_another_tenants_intents_are_invisible(client: Any, rival: Any) -> None:
    job = client.publish("secret", {})
    assert rival.list_intents().intents == ()
    with pytest.raises(IntentBusError) as info:
        rival.get_intent(job.id)
    assert info.value.status_code == 404


def test_admin_sees_every_tenant_and_narrows_by_owner(
    client: Any, rival: Any, admin: Any
) -> None:
    mine = client.publish("g", {})
    theirs = rival.publish("g", {})
    assert {r.id for r in admin.list_intents().intents} >= {mine.id, theirs.id}
    only = admin.list_intents(owner="rival").intents
    assert [r.id for r in only] == [theirs.id]
    with pytest.raises(IntentBusError) as info:
        client.list_intents(owner="rival")
    assert info.value.status_code == 403


def test_a_bad_cursor_is_refused_by_the_server(client: Any) -> None:
    with pytest.raises(IntentBusError) as info:
        client.list_intents(cursor="not-a-cursor")
    assert (info.value.status_code, info.value.code) == (400, "invalid_request")


def test_pause_holds_claims_until_resume(client: Any, rival: Any) -> None:
    job = client.publish("resize", {}, namespace="media")
    paused = client.pause("media", "resize")
    assert (paused.namespace, paused.goal) == ("media", "resize")
    assert paused.paused_at is not None
    assert client.pause("media", "resize") == paused  # idempotent
    assert [(p.namespace, p.goal) for p in client.list_pauses()] == [
        ("media", "resize")
    ]
    assert rival.list_pauses() == []
    assert not client.claim(goal="resize", namespace="media")
    assert client.resume("media", "resize") is True
    assert client.resume("media", "resize") is False
    assert client.list_pauses() == []
    again = client.claim(goal="resize", namespace="media")
    assert again and again.id == job.id


def test_pausing_a_whole_namespace(client: Any) -> None:
    client.publish("a", {}, namespace="batch")
    client.pause("batch")
    [pause] = client.list_pauses()
    assert pause.goal is None
    assert not client.claim(goal="a", namespace="batch")
    assert client.resume("batch")
    assert client.claim(goal="a", namespace="batch")


def test_stats_count_per_namespace_and_goal_and_show_pauses(client: Any) -> None:
    done = client.publish("resize", {}, namespace="media")
    client.publish("resize", {}, namespace="media")
    client.fulfill(client.claim(goal="resize", namespace="media"), result=1)
    client.pause("media", "resize")
    overview = client.stats()
    [group] = [g for g in overview.groups if g.goal == "resize"]
    assert (group.namespace, group.counts["open"], group.counts["fulfilled"]) == (
        "media",
        1,
        1,
    )
    assert group.paused and group.oldest_open_age is not None
    assert len(group.completions_per_minute) == 60
    assert group.completions_per_minute[-1] >= 1
    assert overview.generated_at is not None
    assert client.get_status(done.id).status == "fulfilled"


def test_cancel_ends_an_open_intent_and_requeue_intent_reopens_it(
    client: Any, rival: Any
) -> None:
    job = client.publish("g", {})
    cancelled = client.cancel(job.id)
    assert isinstance(cancelled, IntentRow)
    assert cancelled.status == "cancelled"
    assert client.get_result(job.id).status == "cancelled"
    assert not client.claim(goal="g")
    with pytest.raises(IntentBusError) as info:
        client.cancel(job.id)
    assert (info.value.status_code, info.value.code) == (409, "conflict")
    with pytest.raises(IntentBusError) as info:
        rival.requeue_intent(job.id)
    assert info.value.status_code == 404

    reopened = client.requeue_intent(job.id)
    assert (reopened.status, reopened.claim_attempts) == ("open", 0)
    with pytest.raises(IntentBusError) as info:
        client.requeue_intent(job.id)
    assert info.value.status_code == 409
    assert client.claim(goal="g").id == job.id


def test_cancel_of_a_claimed_intent_is_a_request_its_worker_learns(
    client: Any,
) -> None:
    job = client.publish("g", {})
    claimed = client.claim(goal="g")
    asked = client.cancel(job.id)
    assert (asked.status, asked.cancel_requested) == ("claimed", True)
    assert client.extend_claim(claimed, seconds=30)["cancel_requested"] is True
    client.fulfill(claimed, result="late")
    assert client.get_status(job.id).status == "cancelled"


def test_timeline_lists_what_happened_oldest_first(client: Any, rival: Any) -> None:
    job = client.publish("g", {}, max_attempts=2, backoff_base=0.01)
    first = client.claim(goal="g", worker_id="node-1")
    client.fail(first, error="disk full")
    events = client.intent_events(job.id)
    assert [e.type for e in events][:3] == ["published", "claimed", "failed"]
    claimed, failed = events[1], events[2]
    assert (claimed.worker, claimed.attempt) == ("node-1", 1)
    assert (failed.error, failed.attempt) == ("disk full", 1)
    assert all(a.at <= b.at for a, b in itertools.pairwise(events))
    with pytest.raises(IntentBusError) as info:
        rival.intent_events(job.id)
    assert info.value.status_code == 404


def test_workers_registry_lists_a_worker_that_claimed(client: Any, rival: Any) -> None:
    client.publish("g", {})
    assert client.claim(goal="g", worker_id="node-9", capabilities=["gpu"])
    [worker] = [w for w in client.list_workers() if w.worker_id == "node-9"]
    assert worker.state == "live" and worker.in_flight == 1
    assert worker.capabilities == ("gpu",) and "g" in worker.goals
    assert worker.last_seen is not None
    assert [w for w in rival.list_workers() if w.worker_id == "node-9"] == []


def test_explain_gives_reason_codes(client: Any, rival: Any) -> None:
    later = client.publish("g", {}, delay=3600)
    explanation = client.explain(later.id)
    assert (explanation.id, explanation.status) == (later.id, "open")
    assert not explanation.claimable_now
    codes = [r.code for r in explanation.reasons]
    assert "delayed" in codes
    delayed = explanation.reasons[codes.index("delayed")]
    assert delayed.message and "due_at" in delayed.details
    done = client.publish("g2", {})
    client.fulfill(client.claim(goal="g2"), result=1)
    assert [r.code for r in client.explain(done.id).reasons] == ["fulfilled"]
    with pytest.raises(IntentBusError) as info:
        rival.explain(later.id)
    assert info.value.status_code == 404


def test_bulk_requeue_and_cancel_by_filter_with_a_dry_run_first(client: Any) -> None:
    dead = []
    for n in range(3):
        job = client.publish("fragile", {"n": n}, max_attempts=1)
        client.fail(client.claim(goal="fragile"), error=f"disk full {n}")
        dead.append(job.id)
    looked = client.requeue_many(goal="fragile", error_contains="DISK", dry_run=True)
    assert (looked.matched, looked.requeued, looked.changed) == (3, 0, 0)
    assert client.get_status(dead[0]).status == "dead"
    done = client.requeue_many(goal="fragile", error_contains="disk")
    assert (done.matched, done.requeued) == (3, 3)
    assert {client.get_status(i).status for i in dead} == {"open"}

    counted = client.cancel_many(goal="fragile", dry_run=True)
    assert (counted.matched, counted.cancelled) == (3, 0)
    cancelled = client.cancel_many(goal="fragile")
    assert (cancelled.matched, cancelled.cancelled, cancelled.changed) == (3, 3, 3)
    assert {client.get_status(i).status for i in dead} == {"cancelled"}
    with pytest.raises(IntentBusError) as info:
        client.cancel_many(goal="fragile", owner="someone")
    assert info.value.status_code == 403


def test_explain_claim_says_why_a_worker_gets_nothing_and_claims_nothing(
    client: Any,
) -> None:
    job = client.publish("render", {}, required_capability="a100")
    answer = client.explain_claim(goal="render", worker_id="w1", capabilities=["cpu"])
    assert answer.claimable == 0
    [group] = [g for g in answer.groups if g.code == "capability_missing"]
    assert group.count == 1 and group.message
    able = client.explain_claim(goal="render", worker_id="w2", capabilities="a100")
    assert able.claimable == 1
    assert client.get_status(job.id).status == "open"  # nothing was claimed
