"""Where an SQLite database lives and how durable its commits are, from its URL."""

from __future__ import annotations

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


def options_from_url(url: str) -> dict[str, str]:
    """The URL's query options (``sqlite:///bus.db?synchronous=full``).

    Only ``synchronous`` is known: ``normal`` (the default) keeps every
    acknowledged write across a killed process; ``full`` also across a power
    loss or OS crash, at the cost of an fsync per commit (per batch, with
    group commit).
    """
    query = url.split("?", 1)[1] if "?" in url else ""
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(options) - {"synchronous"}
    if unknown:
        raise ValueError(f"unknown SQLite URL option(s): {', '.join(sorted(unknown))}")
    mode = options.get("synchronous", "normal").lower()
    if mode not in SYNCHRONOUS_MODES:
        raise ValueError(
            f"synchronous must be one of {SYNCHRONOUS_MODES}, got {mode!r}"
        )
    return {"synchronous": mode}
