"""The application factory: route table and lifespan, in one place.

Everything the app uses arrives through `create_app`; nothing is read from the
environment here. The lifespan opens the store, bootstraps the admin key,
starts housekeeping, and on shutdown stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import msgspec

from intent_bus.server import bootstrap
from intent_bus.server.auth import Authenticator, KeyCache
from intent_bus.server.housekeeping import Housekeeper
from intent_bus.server.http.dispatch import Dispatcher
from intent_bus.server.http.pipeline import EndpointApp
from intent_bus.server.kek import KeyVault, secure_keys
from intent_bus.server.openapi import build_openapi
from intent_bus.server.routes import ENDPOINTS
from intent_bus.server.services import Services
from intent_bus.server.settings import Settings
from intent_bus.server.wakeup import WakeHub
from intent_bus.storage import open_store
from intent_bus.storage.base import Store


def create_app(settings: Settings, store: Store | None = None) -> Dispatcher:
    """Builds the ASGI app; the store is opened by the app's lifespan."""
    vault = KeyVault()
    if store is None:
        store = open_store(settings.db_url, vault)
    hub = WakeHub()
    services = Services(
        settings=settings,
        store=store,
        hub=hub,
        auth=Authenticator(store, settings, KeyCache()),
    )
    services.openapi = msgspec.json.encode(build_openapi(ENDPOINTS))

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        await store.start()
        try:
            store.on_work(hub.wake_threadsafe)
            box = getattr(store, "box", None)
            if isinstance(box, KeyVault):  # a store given by a test may keep plaintext
                await secure_keys(store, box, settings)
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

    return Dispatcher([EndpointApp(e, services) for e in ENDPOINTS], lifespan)
