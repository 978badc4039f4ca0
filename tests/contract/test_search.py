"""Contract: intent search pages newest first through any filter, with a cursor,
and examines a bounded number of rows when a filter is not indexed."""

from __future__ import annotations

import pytest

from intent_bus import protocol
from intent_bus.storage.base import Store
from intent_bus.storage.search import IntentFilter
from tests.contract.conftest import NOW, claim, claimer, publish

pytestmark = pytest.mark.anyio


async def _all_pages(store: Store, search: IntentFilter, limit: int) -> list[str]:
    """Every id the search reaches, following the cursor to the end."""
    ids: list[str] = []
    before = None
    for _ in range(1000):
        page = await store.intent_search(
            IntentFilter(**{**_fields(search), "before": before}), limit
        )
        ids += [intent.id for intent in page.intents]
        if page.next_before is None:
            return ids
        before = page.next_before
    raise AssertionError("the cursor never ended")


def _fields(search: IntentFilter) -> dict[str, object]:
    return {name: getattr(search, name) for name in search.__dataclass_fields__}


async def test_search_pages_newest_first_with_a_cursor(store: Store) -> None:
    sent = [(await publish(store, created_at=NOW + i)).id for i in range(7)]
    await publish(store, owner="other")

    first = await store.intent_search(IntentFilter(owner="acme"), 3)

    assert [i.id for i in first.intents] == sent[::-1][:3]
    assert first.next_before is not None
    assert await _all_pages(store, IntentFilter(owner="acme"), 3) == sent[::-1]


async def test_last_full_page_has_no_cursor(store: Store) -> None:
    for _ in range(4):
        await publish(store)
    page = await store.intent_search(IntentFilter(owner="acme"), 4)
    assert len(page.intents) == 4 and page.next_before is None


async def test_tenant_search_never_shows_another_tenant(store: Store) -> None:
    mine = await publish(store)
    theirs = await publish(store, owner="other")

    acme = await store.intent_search(IntentFilter(owner="acme"), 50)
    everyone = await store.intent_search(IntentFilter(owner=None), 50)
    by_id = await store.intent_search(
        IntentFilter(owner="acme", id_prefix=theirs.id), 50
    )

    assert [i.id for i in acme.intents] == [mine.id]
    assert {i.id for i in everyone.intents} == {mine.id, theirs.id}
    assert by_id.intents == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (IntentFilter(owner="acme", goal="email"), {"e1", "e2"}),
        (IntentFilter(owner="acme", namespace="billing"), {"b1"}),
        (IntentFilter(owner="acme", statuses=("claimed",)), {"e1"}),
        (IntentFilter(owner="acme", statuses=("claimed", "open")), None),
        (IntentFilter(owner="acme", worker="w9"), {"e1"}),
        (IntentFilter(owner="acme", goal="email", statuses=("open",)), {"e2"}),
        (IntentFilter(owner="acme", id_prefix="e"), {"e1", "e2"}),
        (IntentFilter(owner=None, goal="email"), {"e1", "e2", "x1"}),
    ],
)
async def test_each_filter_narrows_the_search(
    store: Store, search: IntentFilter, expected: set[str] | None
) -> None:
    await publish(store, id="e1", goal="email")
    await publish(store, id="e2", goal="email")
    await publish(store, id="b1", namespace="billing")
    await publish(store, id="x1", owner="other", goal="email")
    took = await claim(store, claimer(goal="email"), worker_id="w9")
    assert took is not None and took.id == "e1"

    page = await store.intent_search(search, 50)

    found = {i.id for i in page.intents}
    assert found == (expected if expected is not None else {"e1", "e2", "b1"})


async def test_error_filter_is_a_case_insensitive_substring(store: Store) -> None:
    for word in ("Timeout talking to S3", "disk full", "TIMEOUT again"):
        await publish(store, id=word.split()[0] + "x")
        took = await claim(store)
        assert took is not None
        await store.intent_fail(took.id, took.claim_token or "", word, _never, NOW)

    page = await store.intent_search(IntentFilter(owner="acme", error="timeout"), 50)

    assert {i.id for i in page.intents} == {"Timeoutx", "TIMEOUTx"}
    assert all(i.error and "timeout" in i.error.lower() for i in page.intents)


def _never(attempts: int, base: float) -> float:
    return 3600.0


async def test_unindexed_filter_walks_a_bounded_window(store: Store) -> None:
    """A rare match far back in history is reached through short pages, each
    examining at most SEARCH_SCAN_MAX rows, never one unbounded scan."""
    bound = protocol.SEARCH_SCAN_MAX
    needle = await publish(store, created_at=NOW - 1)
    took = await claim(store)
    assert took is not None and took.id == needle.id
    await store.intent_fail(needle.id, took.claim_token or "", "boom", _never, NOW)
    for _ in range(bound + 5):
        await publish(store)

    first = await store.intent_search(IntentFilter(owner="acme", error="boom"), 10)

    assert first.intents == [] and first.next_before is not None
    assert await _all_pages(store, IntentFilter(owner="acme", error="boom"), 10) == [
        needle.id
    ]


async def test_payload_and_result_come_back_in_full(store: Store) -> None:
    sent = await publish(store, payload=b'{"big":"' + b"x" * 5000 + b'"}')
    page = await store.intent_search(IntentFilter(owner="acme"), 1)
    assert page.intents[0].payload == sent.payload
