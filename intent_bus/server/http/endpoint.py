"""One endpoint = one declaration (`Endpoint`) + one lean ASGI wrapper.

The declaration drives both the behaviour (which body Struct is decoded, who may
call) and the OpenAPI document, so the two cannot disagree. The wrapper is the
whole per-request pipeline, in order:

    read body (size limit) -> authenticate -> role check -> rate limit
    -> decode body -> handler -> send

It talks raw ASGI (two send calls) instead of building Request/Response
objects, because per-request overhead is what decides throughput here.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

import msgspec

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server import bodies, ratelimit
from intent_bus.server.errors import (
    ApiError,
    internal_error_reply,
    store_error_reply,
)
from intent_bus.server.reply import Reply
from intent_bus.server.services import Services
from intent_bus.storage.base import ApiKey
from intent_bus.storage.errors import StoreError

logger = logging.getLogger("intent_bus.server")

# Stamped here rather than by middleware: endpoints are reached without the
# middleware stack on the fast path (see dispatch.py).
VERSION_HEADER = (
    protocol.HEADER_VERSION.lower().encode(),
    protocol.PROTOCOL_VERSION.encode(),
)

Access = Literal["public", "tenant", "admin"]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Call:
    """One request as a handler sees it: caller, parameters, headers, time."""

    __slots__ = (
        "body",
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
        params: dict[str, Any],
        query: Mapping[str, str],
        headers: dict[bytes, bytes],
        body: bytes,
        json: Any,
        now: float,
        receive: Receive,
    ) -> None:
        self.services = services
        self.key = key
        self.params = params
        self.query = query
        self.headers = headers
        self.body = body
        self.json = json
        # `json` is the body decoded as plain JSON (None when not declared).
        self.now = now
        # Handlers that hold a request open (long-poll) watch it for disconnects.
        self.receive = receive

    @property
    def caller(self) -> ApiKey:
        """The authenticated key (never None on tenant/admin endpoints)."""
        assert self.key is not None
        return self.key

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")


Handler = Callable[[Call, Any], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A route of the API, as both the server and its documentation see it."""

    method: str
    path: str
    handler: Handler
    summary: str
    access: Access = "tenant"
    body: type[msgspec.Struct] | None = None
    responses: Mapping[int, type[msgspec.Struct] | None] = field(default_factory=dict)
    query: tuple[QueryParam, ...] = ()
    headers: tuple[QueryParam, ...] = ()
    content_type: str = "application/json"


def parse_query(query_string: bytes) -> dict[str, str]:
    """Query parameters, last value wins; empty for the common bare path."""
    if not query_string:
        return {}
    return dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


class EndpointApp:
    """The ASGI app Starlette's router calls for one `Endpoint`."""

    __slots__ = ("endpoint", "services")

    def __init__(self, endpoint: Endpoint, services: Services) -> None:
        self.endpoint = endpoint
        self.services = services

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
    ) -> None:
        try:
            reply = await self._run(scope, receive)
        except ApiError as exc:
            reply = exc.reply()
        except StoreError as exc:
            reply = store_error_reply(exc)
            if reply.status == 500:
                reply = self._internal_error(scope, exc)
        except Exception as exc:
            reply = self._internal_error(scope, exc)
        self.services.metrics.count(
            self.endpoint.method, self.endpoint.path, reply.status
        )
        if reply.status == 204:
            headers = [VERSION_HEADER, *reply.headers]
        else:
            headers = [
                (b"content-type", reply.content_type),
                (b"content-length", str(len(reply.body)).encode()),
                VERSION_HEADER,
                *reply.headers,
            ]
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": reply.body})

    async def _run(
        self,
        scope: dict[str, Any],
        receive: Receive,
    ) -> Reply:
        endpoint = self.endpoint
        services = self.services
        settings = services.settings
        raw = await bodies.read_body(scope, receive, settings.max_body_bytes)
        headers = dict(scope["headers"])
        now = time.time()
        key: ApiKey | None = None
        if endpoint.access != "public":
            key = await services.auth.authenticate(scope, headers, raw, now)
            if endpoint.access == "admin" and key.role != "admin":
                raise ApiError(403, ErrorCode.FORBIDDEN, "this needs an admin key")
            await ratelimit.enforce(services.store, settings.rate_limit, key, now)
        value: Any = None
        parsed: Any = None
        if endpoint.body is not None:
            value = bodies.decode_json(raw, settings.max_json_depth)
            parsed = bodies.convert(value, endpoint.body)
        call = Call(
            services,
            key,
            scope.get("path_params", {}),
            parse_query(scope.get("query_string", b"")),
            headers,
            raw,
            value,
            now,
            receive,
        )
        return await endpoint.handler(call, parsed)

    def _internal_error(self, scope: dict[str, Any], exc: BaseException) -> Reply:
        # Logged with method and route path only: headers (the API key) and
        # bodies never reach the log.
        request_id = uuid.uuid4().hex[:12]
        logger.error(
            "internal error %s on %s %s",
            request_id,
            scope.get("method"),
            self.endpoint.path,
            exc_info=exc,
        )
        return internal_error_reply(request_id)
