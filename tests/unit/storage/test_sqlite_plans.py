"""The hot-path SQLite queries use indexes, never a full scan of intents.

Claiming must stay fast with a million queued intents and a long history of
finished ones, so every statement on the request path is checked with EXPLAIN
QUERY PLAN, on an empty database and again after ANALYZE has seen data.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest

from intent_bus.storage.migrate import load_migrations, migrations_dir
from intent_bus.storage.sqlite.migrate import split_statements
from intent_bus.storage.sqlite.records import Q

PARAMS = {
    "owner": "acme",
    "namespace": "default",
    "goal": "resize",
    "publisher": "acme",
    "worker_id": "w1",
    "capabilities": '["gpu"]',
    "now": 1000.0,
    "seq": 1,
    "id": "x",
    "claim_token": "t",
    "lease_owner": "acme",
    "token_hash": "h",
    "lease_expires_at": 1060.0,
    "expires_at": 1060.0,
    "result": None,
    "result_type": "json",
    "error": "e",
    "run_at": 1000.0,
    "before": 1000.0,
    "limit": 100,
    "key_id": "k",
    "key": "k",
    "nonce": "n",
    "window_start": 960.0,
    "secret": "s",
    "status": "dead",
    "scan": 51,
    "id_from": "id1",
    "id_to": "id1\U0010ffff",
    "seqs": "[1, 2, 3]",
    "since": 1000.0,
}

CLAIM_PATH_INDEXES = {
    "intent_candidate_private": "intents_claim_private",
    "intent_candidate_private_goal": "intents_claim_private_goal",
    "intent_candidate_public": "intents_claim_public",
    "intent_candidate_public_goal": "intents_claim_public_goal",
    "intent_candidate_public_publisher": "intents_claim_public_owner",
    "intent_settle_leases": "intents_lease_expiry",
    "intent_next_due_private": "intents_claim_private",
    "intent_next_due_public": "intents_claim_public",
    "intent_purge": "intents_completed",
    "intent_list_dead": "intents_dead",
    # -- control reads: each search walk uses its own index, newest first --
    "intent_search_owner": "intents_search_owner",
    "intent_search_owner_status": "intents_search_owner_status",
    "intent_search_owner_goal": "intents_search_owner_goal",
    "intent_search_owner_namespace": "intents_search_owner_namespace",
    "intent_search_owner_worker": "intents_search_owner_worker",
    # -- GET /stats: counters, and per group the first open intent by age --
    "intent_group_counts_owner": "intents_open_age",
    "intent_group_counts_all": "intents_open_age",
    "intent_oldest_open": "intents_open_age",
    "intent_ahead_private": "intents_claim_private",
    "intent_ahead_public": "intents_claim_public",
    "intent_open_public": "intents_claim_public",
}

REQUEST_PATH = [
    *CLAIM_PATH_INDEXES,
    "intent_claim_chosen",
    "intent_get",
    "intent_settle_lease",
    "intent_fulfill",
    "intent_leased",
    "intent_fail_reopen",
    "intent_fail_kill",
    "intent_extend",
    "intent_requeue",
    "idempotency_get",
    "kv_get",
    "key_get",
    "nonce_purge",
    "idempotency_purge",
    "kv_purge",
    "rate_forget",
    "intent_search_all",
    "intent_search_fetch",
    "pause_set",
    "pause_clear",
    "intent_group_counts_owner",
    "intent_group_counts_all",
    "intent_group_completions_all",
    "intent_group_completions_owner",
    "intent_oldest_open",
]


@pytest.fixture(scope="module", params=["empty", "analyzed"])
def conn(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("plans") / f"{request.param}.db"
    db = sqlite3.connect(path, isolation_level=None)
    for migration in load_migrations(migrations_dir("sqlite")):
        for statement in split_statements(migration.sql):
            db.execute(statement)
    if request.param == "analyzed":
        rows = [
            (
                f"id{i}",
                f"owner{i % 3}",
                f"goal{i % 5}",
                b"{}",
                f"ns{i % 2}",
                ("private", "public")[i % 2],
                i % 7,
                float(i),
                float(i),
                3,
                5.0,
                ("open", "fulfilled", "dead")[i % 3],
                None if i % 3 == 0 else float(i),
                float(i),
            )
            for i in range(3000)
        ]
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO intents (id, owner, goal, payload, namespace, visibility,"
            " priority, run_at, created_at, max_attempts, backoff_base, status,"
            " completed_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.execute("COMMIT")
        db.execute("ANALYZE")
    yield db
    db.close()


def plan_of(conn: sqlite3.Connection, name: str) -> list[str]:
    rows = conn.execute("EXPLAIN QUERY PLAN " + Q[name], PARAMS).fetchall()
    return [row[3] for row in rows]


@pytest.mark.parametrize("name", REQUEST_PATH)
def test_request_path_query_never_scans_a_whole_table(
    conn: sqlite3.Connection, name: str
) -> None:
    plan = plan_of(conn, name)
    for step in plan:
        # "SCAN t USING INDEX i" walks an index in order and stops at LIMIT;
        # a bare "SCAN t" reads every row.
        assert not re.fullmatch(r"SCAN (intents|kv|nonces|idempotency)\b.*", step) or (
            "USING" in step
        ), f"{name}: {plan}"
        assert "TEMP B-TREE" not in step, f"{name} sorts rows: {plan}"


@pytest.mark.parametrize(("name", "index"), CLAIM_PATH_INDEXES.items())
def test_claim_path_queries_use_their_partial_index(
    conn: sqlite3.Connection, name: str, index: str
) -> None:
    plan = plan_of(conn, name)
    assert any(f"INDEX {index}" in step for step in plan), f"{name}: {plan}"


@pytest.mark.parametrize(
    "name", ["intent_claim_chosen", "intent_fulfill", "intent_extend", "intent_get"]
)
def test_single_intent_statements_are_key_lookups(
    conn: sqlite3.Connection, name: str
) -> None:
    plan = plan_of(conn, name)
    assert len(plan) == 1 and plan[0].startswith("SEARCH intents USING"), plan


def test_id_prefix_search_is_a_range_on_the_id_index(
    conn: sqlite3.Connection,
) -> None:
    """It sorts newest first only the (at most :scan) rows of the prefix."""
    plan = plan_of(conn, "intent_search_id")
    assert any(
        "USING INDEX sqlite_autoindex_intents_1 (id>? AND id<?)" in step
        for step in plan
    ), plan
    assert not any(
        re.fullmatch(r"SCAN intents\b.*", s) and "USING" not in s for s in plan
    ), plan


def test_completions_read_in_key_order(conn: sqlite3.Connection) -> None:
    """The per-minute table (two hours at most) in key order, grouped without a
    sort; one owner's by a range. Never the intents."""
    plan = plan_of(conn, "intent_group_completions_all")
    assert len(plan) == 1 and re.match(r"(SCAN|SEARCH) intent_completions\b", plan[0])
    assert plan_of(conn, "intent_group_completions_owner") == [
        "SEARCH intent_completions USING PRIMARY KEY (owner=?)"
    ]
