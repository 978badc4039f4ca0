"""Intent search, for both dialects: which indexed walk serves a filter, and
which of the walked rows match it.

A search walks one index newest first (the index of its most selective equality
filter) and checks every other filter on the rows it walked, in Python, so one
definition of "matches" serves both backends and the error substring is
case-insensitive the same way everywhere. When a filter is not served by the
index, the walk is bounded (`SEARCH_SCAN_MAX` rows) and a short page
carries the cursor of the last row walked, so no request reads history unbounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from intent_bus.protocol import SEARCH_SCAN_MAX

NO_CURSOR: Final = 2**62
"""`before` of a first page: newer than any seq."""
_ID_END: Final = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class IntentFilter:
    """What a search asks for; None (or empty) means any.

    `owner` None searches every tenant (admins only; the server decides).
    `before` is the seq the previous page stopped at (newest first).
    """

    owner: str | None
    statuses: tuple[str, ...] = ()
    goal: str | None = None
    namespace: str | None = None
    worker: str | None = None
    error: str | None = None
    id_prefix: str | None = None
    before: int | None = None


@dataclass(frozen=True, slots=True)
class WalkRow:
    """The columns a search filters on, as a walk returns them."""

    seq: int
    id: str
    owner: str
    status: str
    goal: str
    namespace: str
    worker_id: str | None
    error: str | None


def plan_walk(search: IntentFilter, limit: int) -> tuple[str, dict[str, Any]]:
    """The walk (query name) and its parameters for a filter and page size.

    An id prefix is the narrowest; then, for one tenant, worker, goal,
    namespace, a single status, or all its intents; an admin without an owner
    walks everything.
    """
    params: dict[str, Any] = {
        "owner": search.owner,
        "status": search.statuses[0] if len(search.statuses) == 1 else None,
        "goal": search.goal,
        "namespace": search.namespace,
        "worker_id": search.worker,
        "id_from": search.id_prefix,
        "id_to": (search.id_prefix or "") + _ID_END,
        "before": NO_CURSOR if search.before is None else search.before,
    }
    served: set[str]
    if search.id_prefix is not None:
        name, served = "intent_search_id", {"id"}
    elif search.owner is None:
        name, served = "intent_search_all", set()
    elif search.worker is not None:
        name, served = "intent_search_owner_worker", {"owner", "worker"}
    elif search.goal is not None:
        name, served = "intent_search_owner_goal", {"owner", "goal"}
    elif search.namespace is not None:
        name, served = "intent_search_owner_namespace", {"owner", "namespace"}
    elif len(search.statuses) == 1:
        name, served = "intent_search_owner_status", {"owner", "statuses"}
    else:
        name, served = "intent_search_owner", {"owner"}
    # The id walk reads every row of its prefix up to the bound; an exact walk
    # (all filters served by its index) needs one row past the page to know
    # whether there is more.
    exact = not (_asked(search) - served) and name != "intent_search_id"
    params["scan"] = limit + 1 if exact else max(SEARCH_SCAN_MAX, limit + 1)
    return name, params


def _asked(search: IntentFilter) -> set[str]:
    asked = {"owner"} if search.owner is not None else set()
    for name in ("goal", "namespace", "worker", "error", "id_prefix"):
        if getattr(search, name) is not None:
            asked.add("id" if name == "id_prefix" else name)
    if search.statuses:
        asked.add("statuses")
    return asked


def matches(row: WalkRow, search: IntentFilter) -> bool:
    """Whether a walked row passes every filter (the walk's own included)."""
    if search.owner is not None and row.owner != search.owner:
        return False
    if search.statuses and row.status not in search.statuses:
        return False
    if search.goal is not None and row.goal != search.goal:
        return False
    if search.namespace is not None and row.namespace != search.namespace:
        return False
    if search.worker is not None and row.worker_id != search.worker:
        return False
    if search.id_prefix is not None and not row.id.startswith(search.id_prefix):
        return False
    if search.error is not None:
        return search.error.casefold() in (row.error or "").casefold()
    return True


def pick_page(
    rows: Sequence[WalkRow], search: IntentFilter, limit: int, scan: int
) -> tuple[list[int], int | None]:
    """The seqs of the page (newest first) and the cursor after it, or None
    when the walk reached the end of the matching history."""
    page: list[int] = []
    for index, row in enumerate(rows):
        if matches(row, search):
            page.append(row.seq)
            if len(page) == limit:
                more = index < len(rows) - 1 or len(rows) >= scan
                return page, (row.seq if more else None)
    if len(rows) >= scan:
        return page, rows[-1].seq  # bounded walk ended: continue from there
    return page, None


def walk_rows(rows: Iterable[Sequence[Any]]) -> list[WalkRow]:
    """Walk rows (in the walk's column order) as records."""
    return [WalkRow(int(r[0]), *r[1:]) for r in rows]
