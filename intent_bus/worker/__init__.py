"""The worker runtime: claim loop, lease keeper, handler outcomes, --exec runner.

`WorkerRuntime` (``runtime``) is re-exported here and from `intent_bus`; the
other modules are internals the CLI builds on: ``client`` (the SDK surface the
worker uses, as Protocols), ``pool`` (handler threads), ``lease`` (the lease
keeper), ``outcome`` and ``report`` (a handler's verdict and telling the
server), ``backoff``, ``shutdown``, ``redact`` and ``execrunner``.
"""

from __future__ import annotations

from intent_bus.worker.runtime import WorkerRuntime

__all__ = ["WorkerRuntime"]
