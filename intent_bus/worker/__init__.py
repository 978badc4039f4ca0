"""The worker runtime: claim loop, lease keeper, handler outcomes, --exec runner.

`WorkerRuntime` is re-exported here and from `intent_bus`; the other modules
are internals the CLI builds on.
"""

from __future__ import annotations

from intent_bus.worker.runtime import WorkerRuntime

__all__ = ["WorkerRuntime"]
