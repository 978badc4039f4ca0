"""Both dialects' query files speak one vocabulary: a query name means the same
statement, with the same named parameters, in SQLite and in PostgreSQL.

A name may exist in one dialect only when the dialects split the work
differently; each such name is listed here with the reason, so a typo'd or
forgotten query fails this test instead of the first request that needs it.
"""

from __future__ import annotations

from importlib import resources

import pytest

from intent_bus.storage.queries import Dialect, parameter_names, parse_queries

SQLITE_ONLY = {
    # SQLite picks the claim candidate in Python from indexed lookups (an OR
    # over visibility cannot walk one index), then leases the chosen row.
    "intent_candidate_private",
    "intent_candidate_private_goal",
    "intent_candidate_public",
    "intent_candidate_public_goal",
    "intent_candidate_public_publisher",
    "intent_claim_chosen",
    # PostgreSQL does these in one statement that also notifies the replicas.
    "intent_insert",
    "idempotency_insert",
    "intent_settle_leases",
    "intent_fulfill",
}
POSTGRES_ONLY = {
    # One statement: pick both candidates with SKIP LOCKED and lease the best.
    "intent_claim",
    # Writes that make work available wake every replica's listener.
    "intent_insert_notify",
    "intent_insert_idempotent_notify",
    "intent_settle_leases_notify",
    "work_notify",
    # A fulfill that frees a slot of a concurrency limit wakes every replica.
    "intent_fulfill_notify",
    # Batches in one statement each, fed with one array per column; SQLite
    # repeats the single statements in one writer operation.
    "intent_insert_many_notify",
    "intent_fulfill_many_notify",
    # The nonce as a statement of its own ahead of the operation's, in its
    # transaction; SQLite checks nonce_remember's row count in Python.
    "nonce_take",
    # Replicas starting together serialise their schema upgrades.
    "migration_lock",
}


def _queries(dialect: Dialect) -> dict[str, str]:
    """The file as written (``:name`` parameters), not as psycopg receives it."""
    file = resources.files("intent_bus.storage").joinpath(dialect, "queries.sql")
    return parse_queries(file.read_text("utf-8"))


SQLITE = _queries("sqlite")
POSTGRES = _queries("postgres")


def test_only_the_listed_names_exist_in_one_dialect() -> None:
    assert set(SQLITE) - set(POSTGRES) == SQLITE_ONLY
    assert set(POSTGRES) - set(SQLITE) == POSTGRES_ONLY


@pytest.mark.parametrize("name", sorted(set(SQLITE) & set(POSTGRES)))
def test_same_named_queries_take_the_same_parameters(name: str) -> None:
    assert parameter_names(SQLITE[name]) == parameter_names(POSTGRES[name])


def test_parameter_names_ignore_literals_and_casts() -> None:
    statement = "SELECT ':not' || CAST(:a AS TEXT[]), x::int FROM t WHERE y = :b"
    assert parameter_names(statement) == {"a", "b"}
