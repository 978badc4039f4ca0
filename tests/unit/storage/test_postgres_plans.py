"""The hot-path PostgreSQL queries walk the partial indexes, never all intents.

Claiming must stay fast with many queued intents and a long history of finished
ones, so each statement on the request path is checked with EXPLAIN on a database
that ANALYZE has seen holding such a history. Plans are made with the actual
parameter values, as the backend's unnamed statements are.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intent_bus.storage.postgres import PostgresStore
from intent_bus.storage.postgres.prepared import PREPARED
from intent_bus.storage.queries import load_queries
from tests.pgutil import fresh_postgres_database

pytestmark = pytest.mark.postgres

Q = load_queries("postgres")

PARAMS: dict[str, Any] = {
    "owner": "o7",
    "namespace": "ns1",
    "goal": None,
    "publisher": None,
    "worker_id": "w1",
    "capabilities": ["gpu"],
    "now": 30_000.0,
    "claim_token": "t",
    "lease_owner": "acme",
    "token_hash": "h",
    "lease_expires_at": 30_060.0,
    "origin": "test",
    "id": "x",
    "result": None,
    "result_type": "json",
    "before": 500.0,
    "limit": 100,
}

SEARCH: dict[str, Any] = {"before": 2**62, "scan": 51}

OWNER_LED = {
    "intents_search_owner",
    "intents_search_owner_goal",
    "intents_search_owner_namespace",
    "intents_search_owner_status",
}

PRIVATE = {"intents_claim_private", "intents_claim_private_goal"}

# Per query: each set names interchangeable indexes, one of which must be used.
PLANS: list[tuple[str, dict[str, Any], list[set[str]]]] = [
    ("intent_claim", {}, [PRIVATE, {"intents_claim_public"}]),
    (
        "intent_claim",
        {"goal": "g3"},
        [{"intents_claim_private_goal"}, {"intents_claim_public_goal"}],
    ),
    # A publisher other than the claimer leaves the private half provably
    # empty (owner = o7 AND owner = o9): the planner folds it to false.
    ("intent_claim", {"publisher": "o9"}, [{"intents_claim_public_owner"}]),
    ("intent_claim", {"publisher": "o7"}, [PRIVATE, {"intents_claim_public_owner"}]),
    ("intent_settle_leases_notify", {}, [{"intents_lease_expiry"}]),
    ("intent_next_due_private", {}, [PRIVATE]),
    ("intent_next_due_public", {}, [{"intents_claim_public"}]),
    ("intent_fulfill_notify", {"freed_origin": "x"}, [{"intents_id_key"}]),
    ("intent_purge", {}, [{"intents_completed"}]),
    # With an owner and a namespace, an index led by the owner is a bounded
    # alternative the planner may prefer to walking every tenant's dead intents.
    ("intent_list_dead", {}, [{"intents_dead", *OWNER_LED}]),
    ("intent_list_dead", {"owner": None, "namespace": None}, [{"intents_dead"}]),
    # -- control reads: each search walk uses its own index, newest first --
    # An owner spread evenly through history may be walked on the primary key
    # (PostgreSQL's cost model prefers it at this size); either stops at a page.
    ("intent_search_owner", SEARCH, [{"intents_search_owner", "intents_pkey"}]),
    (
        "intent_search_owner_status",
        {**SEARCH, "status": "fulfilled"},
        [{"intents_search_owner_status"}],
    ),
    (
        "intent_search_owner_goal",
        {**SEARCH, "goal": "g3"},
        [{"intents_search_owner_goal"}],
    ),
    (
        "intent_search_owner_namespace",
        {**SEARCH, "namespace": "ns1"},
        [{"intents_search_owner_namespace"}],
    ),
    ("intent_search_owner_worker", SEARCH, [{"intents_search_owner_worker"}]),
    (
        "intent_search_id",
        {**SEARCH, "id_from": "ab", "id_to": "ab\U0010ffff"},
        [{"intents_search_id"}],
    ),
    ("intent_search_all", SEARCH, [{"intents_pkey"}]),
    ("intent_search_fetch", {"seqs": [5, 6, 7]}, [{"intents_pkey"}]),
    # GET /stats reads the counters and, per group, the first open intent of
    # the partial index by age: never the history.
    ("intent_group_counts_owner", {}, [{"intents_open_age"}]),
    ("intent_group_counts_all", {}, [{"intents_open_age"}]),
    ("intent_oldest_open", {}, [{"intents_open_age"}]),
    ("intent_open_public", {}, [{"intents_claim_public"}]),
    ("intent_ahead_private", {"id": "x"}, [{"intents_id_key"}, PRIVATE]),
    (
        "intent_ahead_public",
        {"id": "x"},
        [{"intents_id_key"}, {"intents_claim_public"}],
    ),
    # Every tenant's last hour: the small per-minute table, by its key or by a
    # scan of it (two hours of groups at most), never the intents.
    ("intent_group_completions_all", {"since": 59_000.0}, []),
    (
        "intent_group_completions_owner",
        {"since": 59_000.0},
        [{"intent_completions_pkey"}],
    ),
]


async def _migrate(url: str) -> None:
    store = PostgresStore.from_url(url + "?listen=off")
    await store.start()
    await store.close()


@pytest.fixture(scope="module")
def history() -> Iterator[psycopg.Connection[Any]]:
    """60,000 intents: most finished long ago, some open, claimed or dead."""
    with fresh_postgres_database() as url:
        asyncio.run(_migrate(url))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                """
                INSERT INTO intents (
                    id, owner, goal, payload, namespace, visibility, priority, run_at,
                    created_at, max_attempts, backoff_base, status, claim_attempts,
                    claim_token, lease_expires_at, completed_at, updated_at
                )
                SELECT md5(g::text), 'o' || (g % 50), 'g' || (g % 7), '\\x31',
                       'ns' || (g % 3),
                       CASE WHEN g % 10 = 0 THEN 'public' ELSE 'private' END,
                       (g % 5) * 100, g, g, 3, 1.0, s.status,
                       CASE WHEN s.status = 'open' THEN 0 ELSE 1 END,
                       CASE WHEN s.status = 'claimed' THEN 't' END,
                       CASE WHEN s.status = 'claimed' THEN g + 60.0 END,
                       CASE WHEN s.status IN ('fulfilled', 'dead') THEN g + 1.0 END,
                       g
                FROM generate_series(1, 60000) AS g,
                LATERAL (SELECT CASE
                    WHEN g % 20 = 0 THEN 'open'
                    WHEN g % 20 = 1 THEN 'claimed'
                    WHEN g % 20 = 2 THEN 'dead'
                    ELSE 'fulfilled' END AS status) AS s
                """
            )
            conn.execute("ANALYZE intents")
            yield conn


def _indexes(plan: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(indexes used, relations read by a sequential scan) anywhere in the plan."""
    used: set[str] = set()
    scanned: set[str] = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        if "Index Name" in node:
            used.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan":
            scanned.add(node["Relation Name"])
        stack.extend(node.get("Plans", []))
    return used, scanned


@pytest.mark.parametrize(("name", "overrides", "expected"), PLANS)
def test_request_path_query_uses_its_index(
    history: psycopg.Connection[Any],
    name: str,
    overrides: dict[str, Any],
    expected: list[set[str]],
) -> None:
    row = history.execute(
        "EXPLAIN (FORMAT JSON) " + Q[name], {**PARAMS, **overrides}
    ).fetchone()
    assert row is not None
    plan = (row[0] if isinstance(row[0], list) else json.loads(row[0]))[0]["Plan"]
    used, scanned = _indexes(plan)
    assert all(choice & used for choice in expected), (name, used)
    assert "intents" not in scanned, (name, scanned)


MANY: dict[str, Any] = {
    "max": 2,
    "claim_tokens": ["t1", "t2"],
    "lease_expires_ats": [30_060.0, 30_060.0],
    "worker_ids": ["w1", "w1"],
}
"""A batch claim's leases."""

BATCH: dict[str, Any] = {
    "ids": ["x", "y"],
    "claim_tokens": ["t", "t"],
    "token_hashes": ["h", "h"],
}
"""A batch of completions' keys."""

# -- prepared statements: their one generic plan must be right for every value --
GENERIC: list[tuple[str, dict[str, Any], list[set[str]]]] = [
    ("intent_claim", {}, [PRIVATE, {"intents_claim_public"}]),
    ("intent_claim_many", MANY, [PRIVATE, {"intents_claim_public"}]),
    ("intent_next_due_private", {}, [PRIVATE]),
    ("intent_next_due_public", {}, [{"intents_claim_public"}]),
    ("intent_fulfill_notify", {"freed_origin": "x"}, [{"intents_id_key"}]),
    (
        "intent_fulfill_many_notify",
        {
            "freed_origin": "x",
            "ids": ["x", "y"],
            "claim_tokens": ["t", "t"],
            "results": [None, None],
            "result_types": ["json", "json"],
            "token_hashes": ["h", "h"],
        },
        [{"intents_id_key"}],
    ),
    ("intent_leased", {}, [{"intents_id_key"}]),
    ("intent_leased_many", BATCH, [{"intents_id_key"}]),
    ("intent_completed_by", {}, [{"intents_id_key"}]),
    ("intent_completed_by_many", BATCH, [{"intents_id_key"}]),
    ("intent_extend", {}, [{"intents_id_key"}]),
    ("intent_get", {}, [{"intents_id_key"}]),
    ("intent_settle_lease", {}, [{"intents_id_key"}]),
    ("intent_settle_leases_notify", {}, [{"intents_lease_expiry"}]),
    ("intent_fail_kill", {"error": "e"}, [{"intents_id_key"}]),
    ("intent_fail_cancel", {"error": "e"}, [{"intents_id_key"}]),
    ("intent_fail_reopen", {"error": "e", "run_at": 1.0}, [{"intents_id_key"}]),
    (
        "intent_fail_many_notify",
        {
            **BATCH,
            "freed_origin": "x",
            "statuses": ["open", "dead"],
            "run_ats": [1.0, None],
            "errors": ["e", "e"],
            "notify_payloads": ["p", None],
        },
        [{"intents_id_key"}],
    ),
    ("intent_progress_get", {}, [{"intents_id_key"}]),
    (
        "intent_progress_save",
        {"progress": None, "checkpoint": None},
        [{"intents_id_key"}],
    ),
]
INSERTS = {
    "intent_insert_notify",
    "intent_insert_idempotent_notify",
    "intent_insert_many_notify",
}
_PYFORMAT = re.compile(r"%\((\w+)\)s")


def test_generic_plans_cover_every_prepared_statement_on_intents() -> None:
    """A prepared statement that reads intents must be listed in GENERIC."""
    reading = {name for name in PREPARED if "intents" in Q[name]} - INSERTS
    assert reading == {name for name, _, _ in GENERIC}


def _generic_plan(
    conn: psycopg.Connection[Any], name: str, params: dict[str, Any], options: str
) -> dict[str, Any]:
    """EXPLAIN of the statement prepared, its generic plan forced (the plan
    PostgreSQL may keep after a prepared statement's first five executions).
    Run in a transaction rolled back, since ANALYZE executes it."""
    order = list(dict.fromkeys(_PYFORMAT.findall(Q[name])))
    numbered = _PYFORMAT.sub(lambda m: f"${order.index(m.group(1)) + 1}", Q[name])
    values = sql.SQL(", ").join(sql.Literal(params[p]) for p in order)
    query = sql.SQL("EXPLAIN ({}) EXECUTE generic_plan({})").format(
        sql.SQL(options), values
    )
    with conn.transaction(force_rollback=True):
        conn.execute(f"PREPARE generic_plan AS {numbered}".replace("%%", "%"))
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        row = conn.execute(query).fetchone()
        conn.execute("DEALLOCATE generic_plan")
    assert row is not None
    return (row[0] if isinstance(row[0], list) else json.loads(row[0]))[0]["Plan"]


def _rows_removed(plan: dict[str, Any]) -> int:
    """Rows an executed plan read and then threw away, over all its nodes."""
    stack, removed = [plan], 0
    while stack:
        node = stack.pop()
        removed += int(node.get("Rows Removed by Filter", 0))
        stack.extend(node.get("Plans", []))
    return removed


@pytest.mark.parametrize(
    "shape",
    [
        {"goal": "g_not_queued"},
        {"publisher": "o_not_publishing"},
        {"goal": "g_not_queued", "publisher": "o_not_publishing"},
        {"goal": "g3"},
        {"owner": "o0", "publisher": "o0"},
    ],
)
def test_prepared_claim_walks_the_index_of_its_filters(
    history: psycopg.Connection[Any], shape: dict[str, Any]
) -> None:
    """One generic plan serves every filter shape: a claim for a goal or a
    publisher with nothing queued must not walk every open intent's index
    entry only to filter them out (all 3,000 open intents are public); nor
    must the next-due look of an empty poll."""
    for name in ("intent_claim", "intent_claim_many", "intent_next_due_public"):
        params = {**PARAMS, **MANY, **shape}
        plan = _generic_plan(history, name, params, "ANALYZE, FORMAT JSON")
        assert _rows_removed(plan) < 50, (name, shape)


@pytest.mark.parametrize(("name", "overrides", "expected"), GENERIC)
def test_prepared_statement_generic_plan_uses_its_index(
    history: psycopg.Connection[Any],
    name: str,
    overrides: dict[str, Any],
    expected: list[set[str]],
) -> None:
    """The plan PostgreSQL keeps for a prepared statement after its first
    executions is generic (made without the values); forced here, it must
    still find its rows by its index."""
    plan = _generic_plan(history, name, {**PARAMS, **overrides}, "FORMAT JSON")
    used, scanned = _indexes(plan)
    assert all(choice & used for choice in expected), (name, used)
    assert "intents" not in scanned, (name, scanned)
