"""The batch client methods, each written once as a plan, like ``operations``:
many publishes, claims or completions per request, one outcome per item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from intent_bus import protocol
from intent_bus.sdk import batch_calls
from intent_bus.sdk.batch_models import ClaimBatch, CompletionOutcome, PublishOutcome
from intent_bus.sdk.exceptions import IntentBusLeaseLostError
from intent_bus.sdk.models import ClaimResponse
from intent_bus.sdk.plan import Plan

if TYPE_CHECKING:
    from intent_bus.sdk.leases import LeaseMemory

__all__ = ["BatchOperations"]


class BatchOperations:
    """Plans for POST /intents, POST /claim?max=N and POST /complete."""

    __slots__ = ()

    if TYPE_CHECKING:
        leases: LeaseMemory

    def publish_many(
        self, /, intents: Iterable[Mapping[str, Any]]
    ) -> Plan[list[PublishOutcome]]:
        """Publishes many intents, each given as the keyword arguments of
        ``publish`` (``goal``, ``payload``, ``namespace``, ... and optionally
        ``idempotency_key``); returns one ``PublishOutcome`` per intent, in
        order (``.ok``, ``.id``)::

            done = client.publish_many({"goal": "resize", "payload": p} for p in ps)

        Every intent is checked before anything is sent (``IntentBusError``).
        Each request carries up to 1,000 intents (fewer when they are large)
        and is stored in one transaction on the server; each intent has an
        idempotency key (generated unless given), so a retried request
        publishes it once (``outcome == "replayed"`` then).
        """
        items = [
            batch_calls.encoded(batch_calls.publish_item(intent), "payload")
            for intent in intents
        ]
        outcomes: list[PublishOutcome] = []
        for chunk in batch_calls.chunks(items, protocol.PUBLISH_BATCH_MAX):
            answered: list[PublishOutcome] = yield batch_calls.publish_many(chunk)
            outcomes.extend(answered)
        return outcomes

    def claim_many(
        self,
        /,
        max_count: int,
        goal: str | None = None,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        worker_id: str | None = None,
        capabilities: list[str] | str | None = None,
        publisher: str | None = None,
        wait: float | None = None,
    ) -> Plan[ClaimBatch]:
        """Leases up to ``max_count`` (1..100) eligible intents in one request,
        each with its own claim token; a ``ClaimBatch`` of them, best first
        (falsy when there was none, with the server's ``retry_after``).

        ``wait`` holds the request until at least one is available. Like
        ``claim``, never repeated once it may have reached the server. The
        tokens are remembered for ``fulfill``, ``fail``, ``complete_many``.
        """
        batch: ClaimBatch = yield batch_calls.claim_many(
            max_count,
            goal=goal,
            namespace=namespace,
            worker_id=worker_id,
            capabilities=capabilities,
            publisher=publisher,
            wait=wait,
        )
        for intent in batch:
            self.leases.remember(ClaimResponse(intent, 200))
        return batch

    def complete_many(
        self, /, completions: Iterable[Mapping[str, Any]]
    ) -> Plan[list[CompletionOutcome]]:
        """Fulfills or fails many leased intents at once: each completion is
        ``{"id", "result", "result_type"?}`` (fulfill) or ``{"id", "error"}``
        (fail), with ``claim_token`` when this client did not claim it. Returns
        one ``CompletionOutcome`` per completion, in order; one lost lease
        (``error_code == "lease_lost"``) does not spoil the others::

            client.complete_many([{"id": a.id, "result": 1},
                                  {"id": b.id, "error": "timeout"}])

        Safe to retry: a completion repeated after a lost answer is answered as
        the first time.
        """
        items = [
            batch_calls.encoded(
                batch_calls.completion_item(item, self.leases.tokens), "result"
            )
            for item in completions
        ]
        outcomes: list[CompletionOutcome] = []
        for chunk in batch_calls.chunks(items, protocol.COMPLETE_BATCH_MAX):
            answered: list[CompletionOutcome] = yield batch_calls.complete_many(chunk)
            for (item, _), outcome in zip(chunk, answered, strict=True):
                lost = None if outcome.ok else IntentBusLeaseLostError("lease lost")
                if outcome.ok or outcome.error_code == "lease_lost":
                    self.leases.forget(item["id"], item["claim_token"], lost)
            outcomes.extend(answered)
        return outcomes
