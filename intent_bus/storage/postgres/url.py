"""A PostgreSQL database URL: libpq's connection string plus our per-replica
options (pool budget, lock timeout, listener) in its query string."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict

DEFAULT_POOL_MIN = 1
DEFAULT_POOL_MAX = 4
"""Connections per replica besides the listener; see docs/DEPLOYMENT.md."""
DEFAULT_POOL_TIMEOUT = 10.0
DEFAULT_LOCK_TIMEOUT_MS = 5000
# Options of ours in the URL's query string; everything else goes to libpq.
_OPTIONS = {
    "pool_min",
    "pool_max",
    "pool_timeout",
    "lock_timeout_ms",
    "listen",
    "prepare",
}
_OFF = ("0", "off", "false", "no")


@dataclasses.dataclass(frozen=True, slots=True)
class PostgresOptions:
    """Per-replica tuning, from the database URL's query string.

    ``pool_max`` is the replica's connection budget for requests; the work
    listener holds one more connection, so a replica uses at most pool_max + 1.
    ``prepare`` lets the hot statements whose plan does not depend on their
    parameters be prepared once per connection; turn it off behind a pooler
    that cannot keep a session's prepared statements (PgBouncer before 1.21
    in transaction mode).
    """

    pool_min: int = DEFAULT_POOL_MIN
    pool_max: int = DEFAULT_POOL_MAX
    pool_timeout: float = DEFAULT_POOL_TIMEOUT
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    listen: bool = True
    prepare: bool = True


def split_url(url: str) -> tuple[str, PostgresOptions]:
    """Separates our options from the libpq connection URL."""
    parts = urlsplit(url)
    if parts.scheme == "postgres":
        parts = parts._replace(scheme="postgresql")
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        (
            ours.__setitem__(name, value)
            if name in _OPTIONS
            else theirs.append((name, value))
        )
    options = PostgresOptions(
        pool_min=int(ours.get("pool_min", DEFAULT_POOL_MIN)),
        pool_max=int(ours.get("pool_max", DEFAULT_POOL_MAX)),
        pool_timeout=float(ours.get("pool_timeout", DEFAULT_POOL_TIMEOUT)),
        lock_timeout_ms=int(ours.get("lock_timeout_ms", DEFAULT_LOCK_TIMEOUT_MS)),
        listen=ours.get("listen", "on").lower() not in _OFF,
        prepare=ours.get("prepare", "on").lower() not in _OFF,
    )
    if not 1 <= options.pool_max or not 0 <= options.pool_min <= options.pool_max:
        raise ValueError(f"need 0 <= pool_min <= pool_max, 1 <= pool_max in {url!r}")
    return urlunsplit(parts._replace(query=urlencode(theirs))), options


def with_lock_timeout(conninfo: str, lock_timeout_ms: int) -> str:
    """The libpq ``options`` of the URL plus our lock timeout, so that a write
    stuck behind a lock fails as Busy instead of hanging the request."""
    given = conninfo_to_dict(conninfo).get("options")
    ours = f"-c lock_timeout={lock_timeout_ms}"
    return f"{given} {ours}" if given else ours
