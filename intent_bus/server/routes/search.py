"""The control API's reads of intents: search (newest first, with an opaque
cursor) and one intent in full, both confined to the caller's tenant unless
the caller is an admin."""

from __future__ import annotations

from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.routes.intents import progress_of, visible_intent
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_control import (
    CURSOR_PREFIX,
    IntentDetail,
    IntentList,
    SearchParams,
)
from intent_bus.server.tenancy import owner_scope
from intent_bus.server.views import intent_detail, intent_row
from intent_bus.storage.search import IntentFilter


def encode_cursor(before: int) -> str:
    """Opaque to clients: the position (seq) the next page starts below. Every
    string of this form is a valid position, so the schema's pattern
    (`CURSOR_PATTERN`) decides alone what a cursor is."""
    return f"{CURSOR_PREFIX}{before}"


def decode_cursor(cursor: str) -> int:
    """The seq a cursor names (the Struct's pattern has checked its form)."""
    return int(cursor.removeprefix(CURSOR_PREFIX))


async def search(call: Call, _: None) -> Reply:
    query: SearchParams = call.query
    found = IntentFilter(
        owner=owner_scope(call, query.owner),
        statuses=tuple(dict.fromkeys(query.status)),
        goal=query.goal or None,
        namespace=query.namespace or None,
        worker=query.worker or None,
        error=query.error or None,
        id_prefix=query.id or None,
        before=decode_cursor(query.cursor) if query.cursor else None,
    )
    page = await call.services.store.intent_search(found, query.limit)
    cursor = None if page.next_before is None else encode_cursor(page.next_before)
    rows = [intent_row(intent) for intent in page.intents]
    return json_reply(200, IntentList(intents=rows, next_cursor=cursor))


async def detail(call: Call, _: None) -> Reply:
    intent = await visible_intent(call)
    return json_reply(200, intent_detail(intent, await progress_of(call, intent)))


ENDPOINTS = (
    Endpoint(
        "GET",
        "/intents",
        search,
        "Search intents, newest first (a tenant sees its own)",
        query=SearchParams,
        responses={200: IntentList, 400: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/intents/{intent_id}",
        detail,
        "One intent in full: the row, payload and result",
        responses={200: IntentDetail, 404: ErrorBody},
    ),
)
