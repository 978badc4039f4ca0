"""Named SQL queries, loaded from each backend's ``storage/<dialect>/queries*.sql``.

A file is a sequence of blocks, each opened by a ``-- name: query_name`` line and
followed by ``--`` comment lines and one statement. Queries use ``:name``
parameters; the PostgreSQL flavour rewrites them to psycopg's ``%(name)s`` once, at
load time, so both files read alike.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

Dialect = Literal["sqlite", "postgres"]

_NAME_LINE = re.compile(r"^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
_QUERY_FILE = re.compile(r"^queries(_[a-z0-9_]+)?\.sql$")
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


class QueryFileError(ValueError):
    """The SQL file breaks the ``-- name:`` block format."""


def parse_queries(text: str) -> dict[str, str]:
    """Splits a SQL file into {name: statement}, dropping comment lines.

    Raises QueryFileError on a duplicate name or an empty block, so that a typo in
    the file fails at start-up rather than on the first request that needs it.
    """
    queries: dict[str, str] = {}
    name: str | None = None
    body: list[str] = []

    def finish() -> None:
        if name is None:
            return
        statement = "\n".join(body).strip().rstrip(";").strip()
        if not statement:
            raise QueryFileError(f"query {name!r} has no statement")
        queries[name] = statement

    for line in text.splitlines():
        match = _NAME_LINE.match(line.strip())
        if match:
            finish()
            name = match.group(1)
            if name in queries:
                raise QueryFileError(f"query {name!r} is defined twice")
            body = []
        elif name is not None and not line.lstrip().startswith("--"):
            body.append(line.rstrip())
    finish()
    return queries


def parameter_names(statement: str) -> frozenset[str]:
    """The ``:name`` parameters a statement takes (string literals ignored)."""
    parts = re.split(r"('(?:[^']|'')*')", statement)
    return frozenset(name for part in parts[::2] for name in _PARAM.findall(part))


def to_pyformat(statement: str) -> str:
    """Rewrites ``:name`` parameters to ``%(name)s`` outside string literals.

    Literal ``%`` is doubled, as psycopg requires; ``::type`` casts are left alone.
    """
    out: list[str] = []
    for index, part in enumerate(re.split(r"('(?:[^']|'')*')", statement)):
        part = part.replace("%", "%%")
        if index % 2 == 0:  # outside a quoted literal
            part = _PARAM.sub(r"%(\1)s", part)
        out.append(part)
    return "".join(out)


@cache
def _load(dialect: Dialect) -> dict[str, str]:
    # Located from the storage package, so that reading the PostgreSQL file
    # does not import the PostgreSQL backend (and psycopg). A feature may keep its
    # queries in a file of its own (`queries_<feature>.sql`); a name defined in two
    # files is an error like a name defined twice in one.
    folder = resources.files("intent_bus.storage").joinpath(dialect)
    files = sorted(
        (entry for entry in folder.iterdir() if _QUERY_FILE.match(entry.name)),
        key=lambda entry: entry.name,
    )
    queries: dict[str, str] = {}
    for file in files:
        for name, statement in parse_queries(file.read_text("utf-8")).items():
            if name in queries:
                raise QueryFileError(f"query {name!r} is defined twice")
            queries[name] = statement
    if dialect == "postgres":
        queries = {name: to_pyformat(sql) for name, sql in queries.items()}
    return queries


def load_queries(dialect: Dialect) -> dict[str, str]:
    """Returns the dialect's queries by name (a fresh dict; the parse is cached)."""
    if dialect not in ("sqlite", "postgres"):
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    return dict(_load(dialect))
