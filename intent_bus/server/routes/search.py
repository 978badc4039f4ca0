"""The control API's reads of intents: search (newest first, with an opaque
cursor) and one intent in full, both confined to the caller's tenant unless
the caller is an admin."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from intent_bus import protocol
from intent_bus.server.errors import invalid_request
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Reply, json_reply
from intent_bus.server.routes.intents import visible_intent
from intent_bus.server.schemas import ErrorBody
from intent_bus.server.schemas_control import (
    IntentDetail,
    IntentList,
    SearchParams,
)
from intent_bus.server.views import intent_detail, intent_row
from intent_bus.storage.search import IntentFilter

_CURSOR: Final = re.compile(r"v1:([0-9]{1,19})")


def encode_cursor(before: int) -> str:
    """Opaque to clients: the seq the next page starts below."""
    return base64.urlsafe_b64encode(f"v1:{before}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The seq of a cursor this server issued; 400 for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise invalid_request("cursor: not a cursor this server issued")
    return int(match.group(1))


def owner_scope(call: Call, owner: str | None) -> str | None:
    """Whose intents a read covers: a tenant's own (naming an owner is 400);
    an admin's choice, None meaning every tenant."""
    if call.caller.role != protocol.ROLE_ADMIN:
        if owner:
            raise invalid_request("owner: only an admin key may name an owner")
        return call.caller.owner
    return owner or None


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
    return json_reply(200, intent_detail(await visible_intent(call)))


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
