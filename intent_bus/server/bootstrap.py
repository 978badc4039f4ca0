"""The admin key a server starts with, so a fresh install is usable at once.

Configured (INTENT_BUS_ADMIN_KEY) wins and becomes the only live admin key, so
rotating the variable retires the old key. Without configuration the first
admin key in the store is reused; on a brand-new database one is generated,
stored, and printed exactly once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from intent_bus import protocol
from intent_bus.storage.base import ApiKey, Store
from intent_bus.storage.errors import Conflict


def _new_admin_key(secret: str, now: float, key_id: str | None = None) -> ApiKey:
    return ApiKey(
        id=key_id or "key_" + secrets.token_hex(8),
        secret=secret,
        owner=protocol.ADMIN_OWNER,
        role="admin",
        created_at=now,
    )


def _first_live(keys: list[ApiKey]) -> ApiKey | None:
    return next((key for key in keys if key.revoked_at is None), None)


async def _create_or_get(store: Store, key: ApiKey) -> ApiKey:
    """Creates the key; when a racing replica created it first, returns theirs."""
    try:
        await store.key_create(key)
    except Conflict:
        existing = await store.key_get(key.secret)
        if existing is None:
            raise
        return existing
    return key


@dataclass(frozen=True, slots=True)
class AdminBootstrap:
    """What the start-up found or did about the admin key, for the banner."""

    key: ApiKey
    created: bool
    """True only for the start that generated the key: its secret is shown once."""
    configured: bool
    """The key came from INTENT_BUS_ADMIN_KEY."""
    revoked: tuple[ApiKey, ...] = ()
    """Admin keys that INTENT_BUS_ADMIN_KEY replaced at this start."""


async def admin_bootstrap(
    store: Store, configured: str | None, now: float
) -> AdminBootstrap:
    """Returns the admin key this server accepts, creating it when needed, and
    says whether it was generated now or replaced older keys."""
    if configured:
        key = await store.key_get(configured)
        if key is None:
            key = await _create_or_get(store, _new_admin_key(configured, now))
        if key.role != "admin" or key.revoked_at is not None:
            raise RuntimeError(
                f"{protocol.ENV_ADMIN_KEY} names a tenant or revoked key in this "
                f"database: set it to a new secret (or unset it to use the "
                f"stored admin key)"
            )
        revoked = []
        for other in await store.key_list("admin"):
            if other.id != key.id and other.revoked_at is None:
                await store.key_revoke(other.id, now)
                revoked.append(other)
        return AdminBootstrap(key, False, True, tuple(revoked))
    admins = await store.key_list("admin")
    live = _first_live(admins)
    if live is not None:
        return AdminBootstrap(live, False, False)
    # The id is derived from what exists, so replicas starting together on a
    # fresh database try the same id: one insert wins and the others adopt it.
    secret = protocol.ADMIN_KEY_PREFIX + secrets.token_urlsafe(32)
    key = _new_admin_key(secret, now, f"key_admin_{len(admins) + 1:04d}")
    try:
        await store.key_create(key)
    except Conflict:
        live = _first_live(await store.key_list("admin"))
        if live is None:
            raise
        return AdminBootstrap(live, False, False)
    return AdminBootstrap(key, True, False)


async def ensure_admin_key(
    store: Store,
    configured: str | None,
    now: float,
    announce: Callable[[str], None] | None = None,
) -> ApiKey:
    """Returns the admin key this server accepts, creating it when needed.

    A generated key is announced once (on stdout by default). `intent-bus
    server` bootstraps before the app starts and prints its own banner, so by
    the time the app calls this the key exists and nothing is printed.
    """
    done = await admin_bootstrap(store, configured, now)
    if done.created:
        line = f"Intent Bus admin key (shown once, store it safely): {done.key.secret}"
        if announce is None:
            print(line, flush=True)  # stdout, not the log: logs are often shipped
        else:
            announce(line)
    return done.key
