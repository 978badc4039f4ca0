"""Where an SQLite database lives and how durable its commits are, from its URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl


def path_from_url(url: str) -> str:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs.db`` -> ``/abs.db``.

    ``sqlite://`` or ``sqlite:///:memory:`` give a private in-memory database.
    """
    if not url.startswith("sqlite:"):
        raise ValueError(f"not an SQLite URL: {url!r}")
    rest = url[len("sqlite:") :]
    if rest in ("", "//", "///:memory:", "//:memory:"):
        return ":memory:"
    if not rest.startswith("///"):
        raise ValueError(f"SQLite URLs look like sqlite:///PATH, got {url!r}")
    path = rest[3:].split("?", 1)[0]
    if not path:
        raise ValueError(f"SQLite URL without a path: {url!r}")
    return path


SYNCHRONOUS_MODES = ("normal", "full")
DEFAULT_CACHE_MIB = 16
"""SQLite page cache of the writer connection. The hot pages of a claim are the
heads of a few partial indexes, so a small cache serves a queue of millions."""
DEFAULT_MMAP_MIB = 32
"""Memory-mapped reads. Touched pages of the map count towards the process's
RSS, so the map is kept small by default; raise it for read-heavy hosts."""
_SIZE_OPTIONS = {"cache_mib": (1, 65536), "mmap_mib": (0, 65536)}


def options_from_url(url: str) -> dict[str, Any]:
    """The URL's query options (``sqlite:///bus.db?synchronous=full``).

    ``synchronous``: ``normal`` (the default) keeps every acknowledged write
    across a killed process; ``full`` also across a power loss or OS crash, at
    the cost of an fsync per commit (per batch, with group commit).
    ``cache_mib`` and ``mmap_mib`` size SQLite's page cache and memory map
    (defaults `DEFAULT_CACHE_MIB`, `DEFAULT_MMAP_MIB`); only the ones the URL
    names are returned.
    """
    query = url.split("?", 1)[1] if "?" in url else ""
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(options) - {"synchronous", *_SIZE_OPTIONS}
    if unknown:
        raise ValueError(f"unknown SQLite URL option(s): {', '.join(sorted(unknown))}")
    mode = options.get("synchronous", "normal").lower()
    if mode not in SYNCHRONOUS_MODES:
        raise ValueError(
            f"synchronous must be one of {SYNCHRONOUS_MODES}, got {mode!r}"
        )
    parsed: dict[str, Any] = {"synchronous": mode}
    for name, (low, high) in _SIZE_OPTIONS.items():
        if name in options:
            text = options[name]
            if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
                raise ValueError(
                    f"{name} must be a whole number of MiB from {low} to {high}, "
                    f"got {text!r}"
                )
            parsed[name] = int(text)
    return parsed
