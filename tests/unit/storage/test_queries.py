"""The `-- name:` SQL file format and the PostgreSQL parameter rewrite."""

from __future__ import annotations

import re

import pytest

from intent_bus.storage.queries import (
    Dialect,
    QueryFileError,
    load_queries,
    parse_blocks,
    parse_queries,
    to_pyformat,
)


def test_parse_splits_named_blocks_and_drops_comments() -> None:
    text = """-- file header, ignored
-- name: first
-- What it does.
SELECT 1
FROM t;

-- name: second
-- Another.
UPDATE t
SET x = :x -- trailing comment stays part of the line
WHERE id = :id;
"""
    queries = parse_queries(text)
    assert queries == {
        "first": "SELECT 1\nFROM t",
        "second": (
            "UPDATE t\nSET x = :x -- trailing comment stays part of the line\n"
            "WHERE id = :id"
        ),
    }


def test_duplicate_query_name_is_refused() -> None:
    with pytest.raises(QueryFileError, match="twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


def test_empty_query_is_refused() -> None:
    with pytest.raises(QueryFileError, match="no statement"):
        parse_queries("-- name: a\n-- only a comment\n-- name: b\nSELECT 2;\n")


def test_pyformat_rewrites_parameters_outside_literals_only() -> None:
    sql = "SELECT x::int, ':lit', 'it''s :no' FROM t WHERE a = :a AND b LIKE 'x%'"
    assert to_pyformat(sql) == (
        "SELECT x::int, ':lit', 'it''s :no' FROM t WHERE a = %(a)s AND b LIKE 'x%%'"
    )


def test_pyformat_handles_adjacent_and_repeated_parameters() -> None:
    assert to_pyformat("VALUES (:a,:b_2, :a)") == "VALUES (%(a)s,%(b_2)s, %(a)s)"


def test_sqlite_queries_load_with_the_names_the_backend_uses() -> None:
    queries = load_queries("sqlite")
    for name in (
        "intent_insert",
        "intent_claim_chosen",
        "intent_candidate_private",
        "intent_candidate_public",
        "intent_settle_leases",
        "intent_fulfill",
        "kv_set",
        "nonce_remember",
        "rate_hit",
    ):
        assert queries[name].strip()


def test_load_returns_a_fresh_dict() -> None:
    first = load_queries("sqlite")
    first.clear()
    assert load_queries("sqlite")


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError):
        load_queries("oracle")  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_every_queries_file_of_a_dialect_is_loaded(dialect: str) -> None:
    from importlib import resources

    folder = resources.files("intent_bus.storage").joinpath(dialect)
    names: set[str] = set()
    for entry in folder.iterdir():
        if entry.name.startswith("queries") and entry.name.endswith(".sql"):
            names |= set(parse_blocks(entry.read_text("utf-8"))[0])
    assert names and names == set(load_queries(dialect))  # type: ignore[arg-type]


def test_fragments_are_spliced_where_referenced_with_their_holes_filled() -> None:
    text = """-- fragment: due
-- A shared condition.
run_at <= :now AND {{inner}}
LIMIT $limit

-- fragment: inner
status = 'open'

-- name: one
SELECT 1 FROM t WHERE {{due limit=1}};

-- name: many
SELECT 1 FROM t WHERE {{ due limit=:max }};
"""
    assert parse_queries(text) == {
        "one": "SELECT 1 FROM t WHERE run_at <= :now AND status = 'open'\nLIMIT 1",
        "many": "SELECT 1 FROM t WHERE run_at <= :now AND status = 'open'\nLIMIT :max",
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("-- name: a\nSELECT {{nowhere}};\n", "unknown SQL fragment 'nowhere'"),
        ("-- fragment: f\nLIMIT $n\n-- name: a\nSELECT {{f}};\n", "hole 'n' unfilled"),
        ("-- fragment: f\n{{f}}\n-- name: a\nSELECT {{f}};\n", "nests too deep"),
        ("-- fragment: f\nx\n-- fragment: f\ny\n-- name: a\nSELECT 1;\n", "twice"),
    ],
    ids=["unknown", "unfilled-hole", "self-reference", "defined-twice"],
)
def test_fragment_mistakes_fail_at_load(text: str, error: str) -> None:
    with pytest.raises(QueryFileError, match=re.escape(error)):
        parse_queries(text)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_loaded_statements_hold_no_fragment_references(dialect: Dialect) -> None:
    for name, statement in load_queries(dialect).items():
        assert "{{" not in statement and "$limit" not in statement, name
