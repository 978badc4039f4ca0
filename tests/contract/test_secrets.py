"""Secrets at rest through the store's box, on both backends: keys are kept
and found under the box's lookup value, sealed, re-sealed on rotation, and the
plaintext rows of an older version are sealed once."""

from __future__ import annotations

import hashlib

import pytest

from intent_bus.storage import open_store
from intent_bus.storage.base import ApiKey, PlainBox

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0


class ToyBox:
    """A reversible stand-in for the server's AES-GCM vault: enough to see
    what the store keeps, with a tag so that a wrong box fails to open."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def lookup(self, secret: str) -> str:
        return self.tag + ":" + hashlib.sha256((self.tag + secret).encode()).hexdigest()

    def seal(self, secret: str) -> bytes | None:
        return (self.tag + "|" + secret[::-1]).encode()

    def open(self, sealed: bytes) -> str:
        tag, _, body = sealed.decode().partition("|")
        if tag != self.tag:
            raise ValueError("wrong box")
        return body[::-1]


def key(key_id: str, secret: str) -> ApiKey:
    return ApiKey(id=key_id, secret=secret, owner="acme", role="tenant", created_at=NOW)


async def test_keys_are_found_and_listed_through_the_box(db_url: str) -> None:
    store = open_store(db_url, ToyBox("a"))
    await store.start()
    try:
        await store.key_create(key("k1", "tk_one"))
        found = await store.key_get("tk_one")
        assert found is not None and (found.id, found.secret) == ("k1", "tk_one")
        assert await store.key_get("a:" + "0" * 64) is None
        assert [k.secret for k in await store.key_list()] == ["tk_one"]
        revoked = await store.key_revoke("k1", NOW + 1)
        assert (revoked.secret, revoked.revoked_at) == ("tk_one", NOW + 1)
    finally:
        await store.close()
    # What is stored is the lookup value and the sealed secret, nothing else.
    plain = open_store(db_url)
    await plain.start()
    try:
        assert await plain.key_get("tk_one") is None
        assert [k.secret for k in await plain.key_list()] == ["a|eno_kt"]
    finally:
        await plain.close()


async def test_plaintext_keys_are_sealed_once(db_url: str) -> None:
    old = open_store(db_url, PlainBox())
    await old.start()
    try:
        await old.key_create(key("k1", "tk_one"))
        await old.key_create(key("k2", "tk_two"))
    finally:
        await old.close()
    store = open_store(db_url, ToyBox("a"))
    await store.start()
    try:
        assert await store.key_get("tk_one") is None  # still plaintext
        assert await store.key_seal() == 2
        assert await store.key_seal() == 0
        found = await store.key_get("tk_two")
        assert found is not None and found.id == "k2"
        assert sorted(k.secret for k in await store.key_list()) == ["tk_one", "tk_two"]
    finally:
        await store.close()


async def test_reseal_moves_every_key_to_the_new_box(db_url: str) -> None:
    store = open_store(db_url, ToyBox("a"))
    await store.start()
    try:
        await store.key_create(key("k1", "tk_one"))
        assert await store.key_reseal(ToyBox("b")) == 1
        found = await store.key_get("tk_one")
        assert found is not None and found.id == "k1"
    finally:
        await store.close()
    stale = open_store(db_url, ToyBox("a"))
    await stale.start()
    try:
        assert await stale.key_get("tk_one") is None
        with pytest.raises(ValueError):
            await stale.key_list()
    finally:
        await stale.close()
