"""Intent Bus: a distributed job bus over plain HTTP.

The public API is exactly ``__all__``. Names are imported lazily, so that
``import intent_bus.server`` does not load the SDK's HTTP stack and
``import intent_bus`` stays cheap for command-line tools.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from intent_bus._version import __version__

if TYPE_CHECKING:
    from intent_bus.sdk.async_client import AsyncIntentClient
    from intent_bus.sdk.batch_models import (
        ClaimBatch,
        CompletionOutcome,
        PublishOutcome,
    )
    from intent_bus.sdk.client import IntentClient
    from intent_bus.sdk.exceptions import (
        IntentBusAuthError,
        IntentBusError,
        IntentBusLeaseLostError,
        IntentBusNetworkError,
        IntentBusProtocolError,
        IntentBusRateLimitError,
    )
    from intent_bus.sdk.models import (
        ClaimedIntent,
        ClaimResponse,
        IntentResult,
        IntentStatus,
        Schedule,
        ScheduleTick,
    )
    from intent_bus.worker.context import JobContext, current_job
    from intent_bus.worker.runtime import WorkerRuntime

_EXPORTS = {
    "IntentClient": "intent_bus.sdk.client",
    "AsyncIntentClient": "intent_bus.sdk.async_client",
    "ClaimedIntent": "intent_bus.sdk.models",
    "ClaimBatch": "intent_bus.sdk.batch_models",
    "CompletionOutcome": "intent_bus.sdk.batch_models",
    "PublishOutcome": "intent_bus.sdk.batch_models",
    "ClaimResponse": "intent_bus.sdk.models",
    "IntentResult": "intent_bus.sdk.models",
    "IntentStatus": "intent_bus.sdk.models",
    "Schedule": "intent_bus.sdk.models",
    "ScheduleTick": "intent_bus.sdk.models",
    "IntentBusError": "intent_bus.sdk.exceptions",
    "IntentBusAuthError": "intent_bus.sdk.exceptions",
    "IntentBusRateLimitError": "intent_bus.sdk.exceptions",
    "IntentBusNetworkError": "intent_bus.sdk.exceptions",
    "IntentBusProtocolError": "intent_bus.sdk.exceptions",
    "IntentBusLeaseLostError": "intent_bus.sdk.exceptions",
    "WorkerRuntime": "intent_bus.worker.runtime",
    "JobContext": "intent_bus.worker.context",
    "current_job": "intent_bus.worker.context",
}

__all__ = [
    "AsyncIntentClient",
    "ClaimBatch",
    "ClaimResponse",
    "ClaimedIntent",
    "CompletionOutcome",
    "IntentBusAuthError",
    "IntentBusError",
    "IntentBusLeaseLostError",
    "IntentBusNetworkError",
    "IntentBusProtocolError",
    "IntentBusRateLimitError",
    "IntentClient",
    "IntentResult",
    "IntentStatus",
    "JobContext",
    "PublishOutcome",
    "Schedule",
    "ScheduleTick",
    "WorkerRuntime",
    "__version__",
    "current_job",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'intent_bus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
