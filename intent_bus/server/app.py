"""The application factory: route table, middleware and lifespan, in one place.

Everything the app uses arrives through `create_app`; nothing is read from the
environment here. The lifespan opens the store, bootstraps the admin key,
starts housekeeping, and on shutdown stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intent_bus.protocol import ErrorCode
from intent_bus.server import bootstrap
from intent_bus.server.auth import Authenticator, KeyCache
from intent_bus.server.dispatch import Dispatcher
from intent_bus.server.endpoint import VERSION_HEADER, EndpointApp
from intent_bus.server.errors import error_reply, internal_error_reply
from intent_bus.server.housekeeping import Housekeeper
from intent_bus.server.middleware import VersionHeaderMiddleware
from intent_bus.server.openapi import build_openapi
from intent_bus.server.routes import ENDPOINTS
from intent_bus.server.services import Services
from intent_bus.server.settings import Settings
from intent_bus.server.wakeup import WakeHub
from intent_bus.storage import open_store
from intent_bus.storage.base import Store


def create_app(settings: Settings, store: Store | None = None) -> Dispatcher:
    """Builds the ASGI app; the store is opened by the app's lifespan.

    API requests are routed by the `Dispatcher`'s table; Starlette serves the
    rest (lifespan, routing errors) with the same route list.
    """
    if store is None:
        store = open_store(settings.db_url)
    hub = WakeHub()
    services = Services(
        settings=settings,
        store=store,
        hub=hub,
        auth=Authenticator(store, settings, KeyCache()),
    )
    services.openapi = msgspec.json.encode(build_openapi(ENDPOINTS))
    apps = [(endpoint, EndpointApp(endpoint, services)) for endpoint in ENDPOINTS]
    routes = [
        Route(endpoint.path, app, methods=[endpoint.method]) for endpoint, app in apps
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        await store.start()
        try:
            store.on_work(hub.notify_threadsafe)
            await bootstrap.ensure_admin_key(store, settings.admin_key, time.time())
            housekeeper = asyncio.create_task(Housekeeper(store, settings, hub).run())
            try:
                yield
            finally:
                housekeeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await housekeeper
        finally:
            await store.close()

    fallback = Starlette(
        routes=routes,
        middleware=[Middleware(VersionHeaderMiddleware)],
        exception_handlers={HTTPException: _routing_error, Exception: _crash},
        lifespan=lifespan,
    )
    return Dispatcher(apps, fallback)


async def _routing_error(request: Request, exc: Any) -> Response:
    """Routing's own 404/405 in the protocol's envelope."""
    assert isinstance(exc, HTTPException)
    code = ErrorCode.NOT_FOUND if exc.status_code == 404 else ErrorCode.INVALID_REQUEST
    reply = error_reply(exc.status_code, code, str(exc.detail))
    return Response(
        reply.body,
        exc.status_code,
        headers=dict(exc.headers or {}),
        media_type="application/json",
    )


async def _crash(request: Request, exc: Exception) -> Response:
    """Last resort outside the endpoints (which handle their own errors)."""
    reply = internal_error_reply("unknown")
    name, value = VERSION_HEADER
    return Response(
        reply.body,
        500,
        headers={name.decode(): value.decode()},
        media_type="application/json",
    )
