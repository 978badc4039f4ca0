"""Records of the batch operations: many publishes, claims or completions in
one transaction, each item with its own outcome.

A batch is the single operation repeated inside one transaction, so every rule
of the single one (idempotency, eligibility, lease checks, retry-safe
completions) holds per item. An item that fails for a reason only known at
write time (an idempotency key reused with another body, a lost lease) gets its
`StoreError` as its outcome; the other items still commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from intent_bus.storage.errors import StoreError
from intent_bus.storage.records import Idempotency, Intent, NewIntent, StoredResponse


@dataclass(frozen=True, slots=True)
class PublishItem:
    """One intent of a batch publish, with its idempotency record if any."""

    intent: NewIntent
    idempotency: Idempotency | None = None


PublishOutcome = StoredResponse | StoreError | None
"""None: inserted; a StoredResponse: replayed; a StoreError (Conflict): refused."""


@dataclass(frozen=True, slots=True)
class Completion:
    """One item of a batch completion: fulfill with a result, or fail."""

    intent_id: str
    claim_token: str
    kind: Literal["fulfill", "fail"]
    result: bytes | None = None
    result_type: str = "json"
    error: str = ""


CompletionOutcome = Intent | StoreError
"""The intent as the completion left it, or why it was refused (LeaseLost)."""


@dataclass(frozen=True, slots=True)
class Polled:
    """What one batch claim found: the leased intents in claim order, or, when
    none was eligible, the earliest future run_at the claimer could take."""

    intents: Sequence[Intent] = field(default_factory=list)
    next_due: float | None = None
    checkpoints: Sequence[bytes | None] = field(default_factory=list)
    """The checkpoint an earlier lease holder of each intent saved, in order."""
