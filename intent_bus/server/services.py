"""What every request handler may use, built once by `create_app`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from intent_bus.server.auth import Authenticator
from intent_bus.server.metrics import Metrics
from intent_bus.server.settings import Settings
from intent_bus.server.wakeup import WakeHub
from intent_bus.server.workers import SightingThrottle
from intent_bus.storage.base import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    hub: WakeHub
    auth: Authenticator
    random: Callable[[], float] = field(default=random.random)
    metrics: Metrics = field(default_factory=Metrics)
    openapi: bytes = b"{}"
    """The OpenAPI document, encoded once when the app is built."""
    sightings: SightingThrottle = field(default_factory=SightingThrottle)
    """When each worker was last written to the registry, in this process."""
