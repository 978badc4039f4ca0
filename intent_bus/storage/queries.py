"""Named SQL queries, loaded from each backend's ``storage/<dialect>/queries*.sql``.

A file is a sequence of blocks, each opened by a ``-- name: query_name`` line and
followed by ``--`` comment lines and one statement. Queries use ``:name``
parameters; the PostgreSQL flavour rewrites them to psycopg's ``%(name)s`` once, at
load time, so both files read alike.

SQL has no functions a statement could share, so a condition several queries
must state alike (what a worker may take, what a concurrency limit allows) is a
*fragment*: a ``-- fragment: fragment_name`` block, spliced at load time wherever
a statement (or another fragment) says ``{{fragment_name}}``. A fragment may
leave holes, ``$hole``, filled by the reference: ``{{fragment_name hole=1}}``.
The loaded statements are plain SQL; only the files share the text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from string import Template
from typing import Literal

Dialect = Literal["sqlite", "postgres"]

_NAME_LINE = re.compile(r"^--\s*(name|fragment):\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s+\w+=[^\s}]+)*)\s*\}\}")
_MAX_NESTING = 4
_QUERY_FILE = re.compile(r"^queries(_[a-z0-9_]+)?\.sql$")
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


class QueryFileError(ValueError):
    """The SQL file breaks the ``-- name:`` block format."""


def parse_blocks(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Splits a SQL file into its queries and its fragments, {name: text} each,
    dropping comment lines; references to fragments are left as written.

    Raises QueryFileError on a duplicate name or an empty block, so that a typo in
    the file fails at start-up rather than on the first request that needs it.
    """
    blocks: dict[str, dict[str, str]] = {"name": {}, "fragment": {}}
    kind = name = None
    body: list[str] = []

    def finish() -> None:
        if kind is None or name is None:
            return
        statement = "\n".join(body).strip().rstrip(";").strip()
        if not statement:
            raise QueryFileError(f"{_noun(kind)} {name!r} has no statement")
        blocks[kind][name] = statement

    for line in text.splitlines():
        match = _NAME_LINE.match(line.strip())
        if match:
            finish()
            kind, name = match.group(1), match.group(2)
            if name in blocks[kind]:
                raise QueryFileError(f"{_noun(kind)} {name!r} is defined twice")
            body = []
        elif name is not None and not line.lstrip().startswith("--"):
            body.append(line.rstrip())
    finish()
    return blocks["name"], blocks["fragment"]


def _noun(kind: str) -> str:
    return "query" if kind == "name" else "fragment"


def splice(statement: str, fragments: dict[str, str], depth: int = 0) -> str:
    """`statement` with every ``{{fragment args}}`` replaced by its text, holes
    filled; raises QueryFileError for an unknown fragment or an unfilled hole."""

    def replace(match: re.Match[str]) -> str:
        name, args = match.group(1), match.group(2).split()
        if name not in fragments:
            raise QueryFileError(f"unknown SQL fragment {name!r}")
        if depth >= _MAX_NESTING:
            raise QueryFileError(f"SQL fragment {name!r} nests too deep")
        holes = dict(arg.split("=", 1) for arg in args)
        try:
            text = Template(fragments[name]).substitute(holes)
        except (KeyError, ValueError) as exc:
            raise QueryFileError(
                f"SQL fragment {name!r}: hole {exc} unfilled"
            ) from None
        return splice(text, fragments, depth + 1)

    return _REFERENCE.sub(replace, statement)


def parse_queries(text: str) -> dict[str, str]:
    """The queries of one SQL file, its own fragments spliced in."""
    queries, fragments = parse_blocks(text)
    return {name: splice(sql, fragments) for name, sql in queries.items()}


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
    fragments: dict[str, str] = {}
    for file in files:
        found, shared = parse_blocks(file.read_text("utf-8"))
        for name, statement in found.items():
            if name in queries:
                raise QueryFileError(f"query {name!r} is defined twice")
            queries[name] = statement
        for name, text in shared.items():
            if name in fragments:
                raise QueryFileError(f"fragment {name!r} is defined twice")
            fragments[name] = text
    queries = {name: splice(sql, fragments) for name, sql in queries.items()}
    if dialect == "postgres":
        queries = {name: to_pyformat(sql) for name, sql in queries.items()}
    return queries


def load_queries(dialect: Dialect) -> dict[str, str]:
    """Returns the dialect's queries by name (a fresh dict; the parse is cached)."""
    if dialect not in ("sqlite", "postgres"):
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    return dict(_load(dialect))
