"""Contract: API keys are created, found by secret, listed and revoked."""

from __future__ import annotations

import pytest

from intent_bus.storage.base import ApiKey, Role, Store
from intent_bus.storage.errors import Conflict, NotFound
from tests.contract.conftest import NOW

pytestmark = pytest.mark.anyio


def key(
    key_id: str,
    owner: str = "acme",
    created_at: float = NOW,
    secret: str | None = None,
    role: Role = "tenant",
) -> ApiKey:
    secret = secret or f"tk_secret_{key_id}"
    return ApiKey(
        id=key_id, secret=secret, owner=owner, role=role, created_at=created_at
    )


async def test_created_key_is_found_by_its_secret(store: Store) -> None:
    created = key("k1")
    await store.key_create(created)
    assert await store.key_get("tk_secret_k1") == created
    assert await store.key_get("tk_unknown") is None


async def test_duplicate_id_or_secret_conflicts(store: Store) -> None:
    await store.key_create(key("k1"))
    with pytest.raises(Conflict):
        await store.key_create(key("k1", secret="tk_other"))
    with pytest.raises(Conflict):
        await store.key_create(key("k2", secret="tk_secret_k1"))
    assert await store.key_get("tk_other") is None


async def test_keys_list_oldest_first_and_by_role(store: Store) -> None:
    await store.key_create(key("b", created_at=NOW + 2))
    await store.key_create(key("admin", owner="admin", created_at=NOW, role="admin"))
    await store.key_create(key("a", created_at=NOW + 1, owner="globex"))

    assert [k.id for k in await store.key_list()] == ["admin", "a", "b"]
    assert [k.id for k in await store.key_list("tenant")] == ["a", "b"]
    assert [k.id for k in await store.key_list("admin")] == ["admin"]
    listed = await store.key_list("admin")
    assert listed[0].role == "admin" and listed[0].secret == "tk_secret_admin"


async def test_revoked_key_is_still_found_with_its_revocation_time(
    store: Store,
) -> None:
    await store.key_create(key("k1"))
    revoked = await store.key_revoke("k1", NOW + 5)
    assert revoked.id == "k1" and revoked.revoked_at == NOW + 5
    found = await store.key_get("tk_secret_k1")
    assert found is not None and found.revoked_at == NOW + 5
    assert (await store.key_list())[0].revoked_at == NOW + 5


async def test_revoking_unknown_key_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.key_revoke("nope", NOW)
