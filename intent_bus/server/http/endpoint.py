"""One endpoint = one declaration: route, who may call, and its input Structs.

The declaration drives both the behaviour (which body, query and header
Structs are decoded, who may call) and the OpenAPI document, so the two cannot
disagree. `pipeline.py` runs it; `dispatch.py` finds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from intent_bus.server.http.reply import Receive, Reply
from intent_bus.server.services import Services
from intent_bus.storage.base import ApiKey

Access = Literal["public", "tenant", "admin"]
Response = type[msgspec.Struct] | tuple[type[msgspec.Struct], ...] | None
"""A status's body: one Struct, one of several (by the request), or none."""


class Call:
    """One request as a handler sees it: caller, decoded inputs, time."""

    __slots__ = (
        "headers",
        "json",
        "key",
        "now",
        "params",
        "query",
        "receive",
        "services",
    )

    def __init__(
        self,
        services: Services,
        key: ApiKey | None,
        params: dict[str, str],
        query: Any,
        headers: Any,
        json: Any,
        now: float,
        receive: Receive,
    ) -> None:
        self.services = services
        self.key = key
        self.params = params
        # The endpoint's query and header Structs, decoded (None if undeclared).
        self.query = query
        self.headers = headers
        # The body decoded as plain JSON (None when the endpoint takes no body).
        self.json = json
        self.now = now
        # Handlers that hold a request open (long-poll) watch it for disconnects.
        self.receive = receive

    @property
    def caller(self) -> ApiKey:
        """The authenticated key (never None on tenant/admin endpoints)."""
        assert self.key is not None
        return self.key


Handler = Callable[[Call, Any], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A route of the API, as both the server and its documentation see it."""

    method: str
    path: str
    handler: Handler
    summary: str
    access: Access = "tenant"
    body: type[msgspec.Struct] | None = None
    query: type[msgspec.Struct] | None = None
    headers: type[msgspec.Struct] | None = None
    responses: Mapping[int, Response] = field(default_factory=dict)
    content_type: str = "application/json"
