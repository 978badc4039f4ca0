"""The record a publish stores, built from a publish body.

Shared by POST /intent and by schedules, whose ticks publish their stored
publish body: one place decides what a published intent looks like.
"""

from __future__ import annotations

import uuid

from intent_bus.server.http.bodies import encode_value
from intent_bus.server.schemas import PublishRequest
from intent_bus.storage.base import NewIntent


def new_intent(body: PublishRequest, owner: str, now: float) -> NewIntent:
    """The record a publish stores; an empty target, capability or concurrency
    key means none."""
    return NewIntent(
        id=uuid.uuid4().hex,
        owner=owner,
        goal=body.goal,
        payload=encode_value(body.payload),
        namespace=body.namespace,
        visibility=body.visibility,
        priority=body.priority,
        run_at=now + body.delay,
        created_at=now,
        max_attempts=body.max_attempts,
        backoff_base=body.backoff_base,
        target_worker=body.target_worker or None,
        required_capability=body.required_capability or None,
        concurrency_key=body.concurrency_key or None,
    )
