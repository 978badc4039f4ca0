"""GET /workers: the registry of workers that claimed, as live, idle or gone."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.routes.search import owner_scope
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_control import WorkerList, WorkerListParams, WorkerView
from intent_bus.server.workers import worker_state


async def workers(call: Call, _: None) -> Reply:
    query: WorkerListParams = call.query
    since = call.now - protocol.WORKER_KEEP_SECONDS
    found = await call.services.store.worker_list(
        owner_scope(call, query.owner), since, call.now
    )
    views = [
        WorkerView(
            worker_id=w.worker_id,
            owner=w.owner,
            state=worker_state(w.last_seen, w.in_flight, call.now),
            capabilities=list(w.capabilities),
            goals=list(w.goals),
            namespaces=list(w.namespaces),
            in_flight=w.in_flight,
            last_seen=w.last_seen,
            client_version=w.client_version,
        )
        for w in found
    ]
    return json_reply(200, WorkerList(workers=views))


ENDPOINTS = (
    Endpoint(
        "GET",
        "/workers",
        workers,
        "Workers seen in the last day, live, idle or gone (a tenant sees its own)",
        query=WorkerListParams,
        responses={200: WorkerList, 400: ErrorBody},
    ),
)
