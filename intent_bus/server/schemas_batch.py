"""Bodies of the batch endpoints: POST /intents, POST /claim?max=N and
POST /complete, declared once as Structs like those of `schemas`.

An item is the single operation's body (plus what the single one carries
elsewhere: the idempotency key, the intent id), so an item is checked by the
same rules. A malformed item refuses the whole request (400 naming
`intents[i].field`), before anything is written; each item's answer then says
what became of it, in item order.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from intent_bus import protocol
from intent_bus.server.schemas import (
    ClaimParams,
    ClaimResponse,
    ClaimToken,
    ErrorDetail,
    IdempotencyKey,
    PublishRequest,
    ResultType,
    Text,
)
from intent_bus.server.schemas import (
    _doc as doc,
)

IntentId = Annotated[Text, Meta(min_length=1, max_length=protocol.INTENT_ID_MAX_CHARS)]
ClaimMax = Annotated[int, Meta(ge=1, le=protocol.CLAIM_BATCH_MAX)]
PublishOutcomeName = Literal["created", "replayed", "error"]


# -- POST /intents ---------------------------------------------------------------
class PublishManyItem(PublishRequest, kw_only=True):
    """One intent of POST /intents: a POST /intent body, plus the idempotency
    key the single publish sends as a header."""

    idempotency_key: IdempotencyKey | None = None


class PublishManyRequest(Struct, kw_only=True):
    """Body of POST /intents: 1..PUBLISH_BATCH_MAX intents, one transaction."""

    intents: Annotated[
        list[PublishManyItem],
        Meta(min_length=1, max_length=protocol.PUBLISH_BATCH_MAX),
    ]


class PublishOutcome(Struct, kw_only=True, omit_defaults=True):
    """What became of one item: `created` (a new intent), `replayed` (its
    idempotency key published `id` before, with the same body), or `error`."""

    outcome: PublishOutcomeName
    id: str | None = None
    error: ErrorDetail | None = None


class PublishManyResponse(Struct, kw_only=True):
    """Answer of POST /intents: one outcome per item, in item order."""

    results: list[PublishOutcome]


# -- POST /claim?max=N -------------------------------------------------------------
class ClaimManyParams(ClaimParams, kw_only=True):
    """Query of POST /claim; with `max`, up to that many leases in one answer."""

    max: (
        Annotated[ClaimMax, doc("Lease up to this many intents (answer: a list)")]
        | None
    ) = None


class ClaimManyResponse(Struct, kw_only=True):
    """Answer of POST /claim?max=N: the leased intents, best first, each with
    its own claim token."""

    intents: list[ClaimResponse]


# -- POST /complete ----------------------------------------------------------------
class CompletionItem(Struct, kw_only=True):
    """One lease to complete: with `error` it fails (as POST /fail/{id}),
    without it fulfills with `result` (as POST /fulfill/{id}); not both, and
    `result` must be a string when result_type is text (CROSS_FIELD_RULES)."""

    id: IntentId
    claim_token: ClaimToken
    result_type: ResultType = protocol.RESULT_TYPE_JSON
    # Absent is not null here: `result` and `error` may not both be given.
    result: Any = UNSET
    error: str | UnsetType = UNSET


class CompleteRequest(Struct, kw_only=True):
    """Body of POST /complete: 1..COMPLETE_BATCH_MAX completions, one transaction."""

    items: Annotated[
        list[CompletionItem],
        Meta(min_length=1, max_length=protocol.COMPLETE_BATCH_MAX),
    ]


class CompletionOutcome(Struct, kw_only=True, omit_defaults=True):
    """What became of one completion: the intent's new `status` (with the
    fields POST /fulfill or POST /fail answer), or the `error` it met
    (lease_lost: that token holds no live lease on the intent)."""

    id: str
    status: Literal["fulfilled", "open", "dead", "cancelled"] | None = None
    completed_at: float | None = None
    run_at: float | None = None
    claim_attempts: int | None = None
    max_attempts: int | None = None
    error: ErrorDetail | None = None


class CompleteResponse(Struct, kw_only=True):
    """Answer of POST /complete: one outcome per item, in item order."""

    results: list[CompletionOutcome]
