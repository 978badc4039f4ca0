"""The batch reporter: when it sends, and how it falls back (issue 13)."""

from __future__ import annotations

import threading
from typing import Any

from intent_bus.sdk.batch_models import CompletionOutcome
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.outcome import Outcome
from intent_bus.worker.reporter import BatchReporter


def intent(n: int) -> ClaimedIntent:
    return ClaimedIntent(f"i{n}", "g", {}, f"tok{n}", "default", 1, 100, 60.0)


class Fake:
    def __init__(self, batch_error: Exception | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.singles: list[tuple[str, str]] = []
        self.batch_error = batch_error

    def complete_many(self, items: list[dict[str, Any]]) -> list[CompletionOutcome]:
        self.batches.append(items)
        if self.batch_error is not None:
            raise self.batch_error
        return [
            CompletionOutcome(i["id"], status="fulfilled")
            if i["claim_token"] != "tok3"
            else CompletionOutcome(i["id"], error_code="lease_lost")
            for i in items
        ]

    def fulfill(self, intent_id: str, **kw: Any) -> Any:
        self.singles.append(("fulfill", intent_id))

    def fail(self, intent_id: str, error: str = "", **kw: Any) -> Any:
        self.singles.append(("fail", intent_id))


def run_together(reporter: BatchReporter, count: int) -> dict[str, bool]:
    results: dict[str, bool] = {}

    def one(n: int) -> None:
        verdict = Outcome.fail("x") if n == 0 else Outcome.fulfill(n, "json")
        results[f"i{n}"] = reporter.report(intent(n), verdict)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reporter.close()
    return results


def test_verdicts_of_running_jobs_go_together() -> None:
    fake = Fake()
    reporter = BatchReporter(fake, running=lambda: 5, max_delay=1.0)
    results = run_together(reporter, 5)
    assert [len(b) for b in fake.batches] == [5]  # sent once all five waited
    assert results == {"i0": True, "i1": True, "i2": True, "i3": False, "i4": True}
    failed = next(i for i in fake.batches[0] if i["id"] == "i0")
    assert failed == {"id": "i0", "claim_token": "tok0", "error": "x"}


def test_a_lone_verdict_goes_out_at_once_as_the_single_call() -> None:
    fake = Fake()
    reporter = BatchReporter(fake, running=lambda: 1, max_delay=5.0)
    assert reporter.report(intent(1), Outcome.fulfill(1, "json"))
    reporter.close()
    assert fake.batches == [] and fake.singles == [("fulfill", "i1")]


def test_a_server_without_complete_is_reported_one_by_one() -> None:
    fake = Fake(IntentBusError("no", status_code=404))
    reporter = BatchReporter(fake, running=lambda: 3, max_delay=1.0)
    results = run_together(reporter, 3)
    assert len(fake.batches) == 1 and len(fake.singles) == 3
    assert all(results.values())
    assert reporter.report(intent(5), Outcome.fulfill(1, "json"))
    assert len(fake.batches) == 1  # not asked again


def test_submitted_verdicts_are_acknowledged_on_the_reporter_thread() -> None:
    """`submit` does not wait: the callers are free at once, and each verdict's
    callback runs on the reporter's thread once the batch was answered."""
    fake = Fake()
    reporter = BatchReporter(fake, running=lambda: 4, max_delay=1.0)
    answered: list[tuple[str, bool, str]] = []
    all_answered = threading.Event()

    def acknowledge(n: int) -> Any:
        def done(accepted: bool) -> None:
            answered.append((f"i{n}", accepted, threading.current_thread().name))
            if len(answered) == 4:
                all_answered.set()

        return done

    for n in range(1, 5):
        assert reporter.submit(intent(n), Outcome.fulfill(n, "json"), acknowledge(n))
    assert all_answered.wait(5)
    reporter.close()
    assert [len(b) for b in fake.batches] == [4]  # one request for the four
    assert sorted(answered) == [
        ("i1", True, "intent-bus-reporter"),
        ("i2", True, "intent-bus-reporter"),
        ("i3", False, "intent-bus-reporter"),  # its lease was lost
        ("i4", True, "intent-bus-reporter"),
    ]


def test_submit_declines_when_batches_are_off() -> None:
    class Singles:
        def fulfill(self, intent_id: str, **kw: Any) -> Any: ...

        def fail(self, intent_id: str, error: str = "", **kw: Any) -> Any: ...

    reporter = BatchReporter(Singles(), running=lambda: 2)  # type: ignore[arg-type]
    assert not reporter.submit(intent(1), Outcome.fulfill(1, "json"), print)
    reporter.close()
