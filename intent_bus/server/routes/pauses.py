"""Pausing claims of a namespace (or one goal of it): stored in the database,
so every replica obeys it and a restart keeps it; publishes are still taken."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.errors import invalid_request
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.routes.search import owner_scope
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_control import (
    PauseList,
    PauseListParams,
    PauseRequest,
    PauseView,
    Resumed,
)
from intent_bus.server.views import pause_view


def _owner(call: Call, body: PauseRequest) -> str:
    """A tenant acts on its own intents; an admin on the owner it names (its
    own when it names none)."""
    if body.owner is not None and call.caller.role != protocol.ROLE_ADMIN:
        raise invalid_request("owner: only an admin key may name an owner")
    return body.owner or call.caller.owner


async def pause(call: Call, body: PauseRequest) -> Reply:
    paused = await call.services.store.pause_set(
        _owner(call, body), body.namespace, body.goal, call.now
    )
    return json_reply(200, pause_view(paused))


async def resume(call: Call, body: PauseRequest) -> Reply:
    """Lifts the pause and wakes long-polling workers at once."""
    resumed = await call.services.store.pause_clear(
        _owner(call, body), body.namespace, body.goal
    )
    if resumed:
        call.services.hub.notify()
    return json_reply(200, Resumed(resumed=resumed))


async def pause_list(call: Call, _: None) -> Reply:
    query: PauseListParams = call.query
    pauses = await call.services.store.pause_list(owner_scope(call, query.owner))
    return json_reply(200, PauseList(pauses=[pause_view(p) for p in pauses]))


ENDPOINTS = (
    Endpoint(
        "POST",
        "/pause",
        pause,
        "Pause claims of a namespace or one goal (idempotent)",
        body=PauseRequest,
        responses={200: PauseView, 400: ErrorBody},
    ),
    Endpoint(
        "POST",
        "/resume",
        resume,
        "Lift a pause and wake waiting workers",
        body=PauseRequest,
        responses={200: Resumed, 400: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/pauses",
        pause_list,
        "Pauses in force (a tenant sees its own)",
        query=PauseListParams,
        responses={200: PauseList, 400: ErrorBody},
    ),
)
