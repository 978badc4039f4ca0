"""Inputs and answers of PUT, GET and DELETE /limits (concurrency limits).
Bounds come from `protocol`, like the other schema modules."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from intent_bus import protocol
from intent_bus.server.schemas import Goal, Namespace

MaxRunning = Annotated[
    int,
    Meta(
        ge=1,
        le=protocol.LIMIT_MAX_RUNNING,
        description="At most this many of the group's intents claimed at once",
    ),
]
MaxPerKey = Annotated[
    int,
    Meta(
        ge=1,
        le=protocol.LIMIT_MAX_RUNNING,
        description="At most this many claimed at once with one concurrency_key",
    ),
]
Owner = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=protocol.OWNER_MAX_CHARS,
        description="Admin only: whose intents (default: the admin's own)",
    ),
]


class LimitRequest(Struct, kw_only=True):
    """Body of PUT /limits: sets or replaces the limit of a namespace and goal."""

    namespace: Namespace
    goal: Goal
    max_running: MaxRunning
    max_per_key: MaxPerKey | None = None
    owner: Owner | None = None


class LimitParams(Struct, kw_only=True):
    """Query of DELETE /limits: which limit to delete."""

    namespace: Namespace
    goal: Goal
    owner: Owner | None = None


class LimitListParams(Struct, kw_only=True):
    """Query of GET /limits."""

    owner: (
        Annotated[
            str,
            Meta(
                max_length=protocol.OWNER_MAX_CHARS,
                description="Admin only: this tenant's limits",
            ),
        ]
        | None
    ) = None


class LimitView(Struct, kw_only=True):
    """One limit and how many of its intents are claimed now."""

    namespace: str
    goal: str
    owner: str
    max_running: int
    max_per_key: int | None
    running: int
    updated_at: float


class LimitList(Struct, kw_only=True):
    limits: list[LimitView]


class LimitDeleted(Struct, kw_only=True):
    deleted: bool
