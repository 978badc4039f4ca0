"""The NOTIFY payload that tells other replicas who could take new work."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.storage.base import Work
from intent_bus.storage.postgres.listener import parse_payload, work_payload

PG_NOTIFY_LIMIT = 8000


def test_payload_round_trips_the_work_and_the_origin() -> None:
    work = Work("alice", "ns", "resize", "public", "w-1", "gpu")
    assert parse_payload(work_payload("abc", work)) == ("abc", work)


def test_largest_payload_fits_postgres_notify_limit() -> None:
    # Every character may take up to 6 bytes once JSON-escaped (\uXXXX).
    work = Work(
        "o" * protocol.OWNER_MAX_CHARS,
        "\u2603" * protocol.NAMESPACE_MAX_CHARS,
        '"' * protocol.GOAL_MAX_CHARS,
        "private",
        "\u2603" * protocol.TARGET_MAX_CHARS,
        "\u2603" * protocol.CAPABILITY_MAX_CHARS,
    )
    payload = work_payload("0123456789abcdef", work)
    assert len(payload.encode()) < PG_NOTIFY_LIMIT
    assert parse_payload(payload)[1] == work


def test_bare_origin_means_unknown_work() -> None:
    # Lease settling sends only its origin, as replicas before this change did.
    assert parse_payload("abc") == ("abc", None)
    assert work_payload("abc", None) == "abc"


def test_unreadable_payload_means_unknown_work() -> None:
    assert parse_payload("{not json")[1] is None
    assert parse_payload('{"o":"abc","w":[1]}') == ("abc", None)
