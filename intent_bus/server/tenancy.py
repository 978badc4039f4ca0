"""Whose data a request may see or change: its own tenant's, or, for an admin,
any tenant's (optionally narrowed to one named owner)."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.errors import ApiError
from intent_bus.server.http.endpoint import Call


def owner_scope(call: Call, owner: str | None = None) -> str | None:
    """A tenant's own owner; an admin's choice, None meaning every tenant.

    A tenant naming an owner is refused with 403: the request is well formed,
    the key may not make it."""
    if call.caller.role != protocol.ROLE_ADMIN:
        if owner:
            raise owner_forbidden()
        return call.caller.owner
    return owner or None


def owner_forbidden() -> ApiError:
    return ApiError(
        403, protocol.ErrorCode.FORBIDDEN, "owner: only an admin key may name an owner"
    )
