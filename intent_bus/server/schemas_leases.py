"""Lease extension bodies: POST /extend_claim's request, with the progress and
checkpoint a lease holder may report, and its answer. Limits come from
`protocol`, like `schemas.py`."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from intent_bus import protocol
from intent_bus.server.schemas import ClaimToken, Text

ProgressNumber = Annotated[
    float, Meta(ge=protocol.PROGRESS_MIN, le=protocol.PROGRESS_MAX)
]
ProgressText = Annotated[Text, Meta(max_length=protocol.PROGRESS_TEXT_MAX_CHARS)]
Progress = Annotated[
    ProgressNumber | ProgressText,
    Meta(description="How far the holder got: a fraction 0..1, or a short text"),
]


class ExtendRequest(Struct, kw_only=True):
    """Body of POST /extend_claim/{id}; seconds default to the server's lease.

    `progress` and `checkpoint` are saved only when the token holds the lease;
    absent or null leaves what was saved before. The next claim of the intent
    (after a failure or a lost lease) answers the last checkpoint."""

    claim_token: ClaimToken
    seconds: Annotated[float, Meta(gt=0)] | None = None
    progress: Progress | None = None
    checkpoint: Annotated[
        Any,
        Meta(
            description="Any JSON (compact, at most "
            f"{protocol.CHECKPOINT_MAX_BYTES} bytes) handed to the next claim"
        ),
    ] = None


class ExtendResponse(Struct, kw_only=True):
    """`claim_timeout` is the number of seconds granted from now."""

    id: str
    lease_expires_at: float
    claim_timeout: float
    cancel_requested: bool
    """True once the publisher cancelled: stop, then fulfill or fail."""
