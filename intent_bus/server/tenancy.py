"""Whose data a request may see or change: its own tenant's, or, for an admin,
any tenant's (optionally narrowed to one named owner)."""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.server.errors import invalid_request
from intent_bus.server.http.endpoint import Call


def owner_scope(call: Call, owner: str | None = None) -> str | None:
    """A tenant's own owner (naming another owner is 400); an admin's choice,
    None meaning every tenant."""
    if call.caller.role != protocol.ROLE_ADMIN:
        if owner:
            raise invalid_request("owner: only an admin key may name an owner")
        return call.caller.owner
    return owner or None
