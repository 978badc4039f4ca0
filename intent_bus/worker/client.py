"""What the worker needs from the SDK, as typed Protocols.

The runtime and the lease keeper talk to any object with these methods:
`IntentClient` in production, small fakes in tests. Spelling the surface out
here keeps the worker honest about which SDK calls it makes (claim, then
exactly one verdict per lease, and lease extensions meanwhile).
"""

from __future__ import annotations

from typing import Any, Protocol

from intent_bus.sdk.models import ClaimResponse

__all__ = ["LeaseClient", "WorkerClient"]


class LeaseClient(Protocol):
    """Renews leases; what `LeaseKeeper` uses."""

    def extend_claim(
        self,
        intent_id: str,
        seconds: float,
        claim_token: str,
        *,
        progress: float | str | None = ...,
        checkpoint: Any = ...,
    ) -> Any:
        """Extends the lease, saving the handler's progress and checkpoint
        when given (the keeper passes them only then); raises
        `IntentBusLeaseLostError` once the lease is gone."""
        ...


class WorkerClient(LeaseClient, Protocol):
    """Claims intents and reports verdicts; what `WorkerRuntime` uses. Its
    methods are called from several threads at once."""

    def claim(
        self,
        *,
        goal: str | None,
        namespace: str,
        worker_id: str | None,
        capabilities: list[str] | None,
        publisher: str | None,
        wait: float | None,
    ) -> ClaimResponse:
        """Leases one intent; a falsy answer when there is none."""
        ...

    def fulfill(
        self,
        intent_id: str,
        *,
        result: Any = ...,
        result_type: str = ...,
        claim_token: str | None = ...,
    ) -> Any:
        """Reports success; no `result_type` means no result."""
        ...

    def fail(
        self, intent_id: str, error: str = ..., *, claim_token: str | None = ...
    ) -> Any:
        """Reports failure: the intent is retried later or dies."""
        ...
