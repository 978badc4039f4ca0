"""GET /stats: per namespace and goal, what is waiting, how old the oldest is,
how fast work completes, and whether it is paused."""

from __future__ import annotations

from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.routes.search import owner_scope
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_control import GroupStatsView, GroupView, StatsParams
from intent_bus.storage.base import Pause
from intent_bus.storage.group_stats import GroupStats


def group_view(
    group: GroupStats, paused: set[tuple[str, str, str]], now: float
) -> GroupView:
    oldest = group.oldest_open_created_at
    return GroupView(
        owner=group.owner,
        namespace=group.namespace,
        goal=group.goal,
        counts=group.counts,
        oldest_open_age=None if oldest is None else max(0.0, now - oldest),
        completions_per_minute=group.completions,
        paused=(group.owner, group.namespace, "") in paused
        or (group.owner, group.namespace, group.goal) in paused,
    )


def pause_keys(pauses: list[Pause]) -> set[tuple[str, str, str]]:
    """(owner, namespace, goal or "" for the whole namespace) of each pause."""
    return {(p.owner, p.namespace, p.goal or "") for p in pauses}


async def stats(call: Call, _: None) -> Reply:
    query: StatsParams = call.query
    owner = owner_scope(call, query.owner)
    store = call.services.store
    groups = await store.intent_group_stats(owner, call.now)
    paused = pause_keys(await store.pause_list(owner))
    views = [group_view(group, paused, call.now) for group in groups]
    return json_reply(200, GroupStatsView(groups=views, generated_at=call.now))


ENDPOINTS = (
    Endpoint(
        "GET",
        "/stats",
        stats,
        "Per namespace and goal: counts, oldest open age, completions per minute",
        query=StatsParams,
        responses={200: GroupStatsView, 400: ErrorBody},
    ),
)
