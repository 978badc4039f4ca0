"""The per-request pipeline of one endpoint, in order:

    read body (size limit) -> authenticate -> role check -> rate limit
    -> decode body, query and headers into their Structs -> handler -> send

Every failure on the way becomes the protocol's error envelope here
(`errors.py` builds it); an unexpected exception is logged with a request id,
never with the request's headers or body.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server import ratelimit
from intent_bus.server.auth import nonce_used
from intent_bus.server.errors import (
    ApiError,
    internal_error_reply,
    store_error_reply,
)
from intent_bus.server.http import bodies, inputs
from intent_bus.server.http.endpoint import Call, Endpoint
from intent_bus.server.http.reply import Receive, Reply, Send, send_reply
from intent_bus.server.services import Services
from intent_bus.storage import replay
from intent_bus.storage.base import ApiKey
from intent_bus.storage.errors import StoreError

logger = logging.getLogger("intent_bus.server")


class EndpointApp:
    """Runs one `Endpoint` for a request the dispatcher matched to it."""

    __slots__ = ("endpoint", "header_fields", "services")

    def __init__(self, endpoint: Endpoint, services: Services) -> None:
        self.endpoint = endpoint
        self.services = services
        self.header_fields = (
            inputs.header_fields(endpoint.headers) if endpoint.headers else ()
        )

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        params: dict[str, str],
    ) -> None:
        if self.endpoint.access != "public" and self.services.store.defers_nonces:
            reply = await self._run_keyed(scope, receive, params)
        else:  # no key, or a nonce checked as the request was verified
            try:
                reply = await self._run(scope, receive, params)
            except Exception as exc:
                reply = self._failure(scope, exc)
        self.services.metrics.count(
            self.endpoint.method, self.endpoint.path, reply.status
        )
        await send_reply(send, reply)

    async def _run_keyed(
        self, scope: dict[str, Any], receive: Receive, params: dict[str, str]
    ) -> Reply:
        """`_run`, then records a signed request's nonce if none of its store
        operations did (see `storage.replay`)."""
        try:
            try:
                reply = await self._run(scope, receive, params)
            except Exception as exc:
                reply = self._failure(scope, exc)
            try:
                await self.services.auth.settle_nonce()
            except Exception as exc:
                reply = self._failure(scope, exc)
        finally:
            replay.clear()
        return reply

    async def _run(
        self, scope: dict[str, Any], receive: Receive, params: dict[str, str]
    ) -> Reply:
        endpoint = self.endpoint
        services = self.services
        settings = services.settings
        raw = await bodies.read_body(
            scope, receive, settings.max_body_bytes, settings.request_timeout
        )
        headers = dict(scope["headers"])
        now = time.time()
        key: ApiKey | None = None
        if endpoint.access != "public":
            key = await services.auth.authenticate(scope, headers, raw, now)
            if endpoint.access == "admin" and key.role != protocol.ROLE_ADMIN:
                raise ApiError(403, ErrorCode.FORBIDDEN, "this needs an admin key")
            await ratelimit.enforce(services.store, settings.rate_limit, key, now)
        value: Any = None
        body: Any = None
        if endpoint.body is not None:
            value = bodies.decode_json(raw, settings.max_json_depth)
            body = bodies.convert(value, endpoint.body)
        query = header_values = None
        if endpoint.query is not None:
            query = inputs.decode_query(scope.get("query_string", b""), endpoint.query)
        if endpoint.headers is not None:
            header_values = inputs.decode_headers(
                headers, self.header_fields, endpoint.headers
            )
        call = Call(services, key, params, query, header_values, value, now, receive)
        return await endpoint.handler(call, body)

    def _failure(self, scope: dict[str, Any], exc: Exception) -> Reply:
        if isinstance(exc, ApiError):
            return exc.reply()
        if isinstance(exc, replay.Replayed):
            return nonce_used().reply()
        if isinstance(exc, StoreError):
            reply = store_error_reply(exc)
            if reply.status != 500:
                return reply
        return self._internal_error(scope, exc)

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
