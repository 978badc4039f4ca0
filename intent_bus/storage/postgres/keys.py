"""The PostgreSQL side of who may call, mixed into `PostgresStore`: API keys and
their secrets at rest (sealed under the store's `SecretBox`), replay nonces and
rate windows. Purging old nonces stays with the store's other purges.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage.base import ApiKey, Role, SecretBox
from intent_bus.storage.errors import NotFound
from intent_bus.storage.postgres.records import key_from_row
from intent_bus.storage.sealing import create_params, opened, resealed

Cursor = psycopg.AsyncCursor[DictRow]


class PostgresKeys:
    """Keys, sealing, nonces and rate windows; each method is one transaction."""

    if TYPE_CHECKING:
        box: SecretBox

        def _tx(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        def _statement(self) -> contextlib.AbstractAsyncContextManager[Cursor]: ...
        async def _run(
            self, cur: Cursor, name: str, params: dict[str, Any]
        ) -> Cursor: ...

    # -- keys ---------------------------------------------------------------
    async def key_create(self, key: ApiKey) -> None:
        async with self._statement() as cur:
            await self._run(cur, "key_create", create_params(key, self.box))

    async def key_get(self, secret: str) -> ApiKey | None:
        params = {"secret": self.box.lookup(secret)}
        async with self._statement() as cur:
            row = await (await self._run(cur, "key_get", params)).fetchone()
        if row is None:
            return None
        return dataclasses.replace(key_from_row(row)[0], secret=secret)

    async def key_list(self, role: Role | None = None) -> list[ApiKey]:
        async with self._statement() as cur:
            rows = await (await self._run(cur, "key_list", {"role": role})).fetchall()
        return [opened(*key_from_row(row), self.box) for row in rows]

    async def key_revoke(self, key_id: str, now: float) -> ApiKey:
        async with self._statement() as cur:
            await self._run(cur, "key_revoke", {"id": key_id, "now": now})
            row = await cur.fetchone()
        if row is None:
            raise NotFound(key_id)
        return opened(*key_from_row(row), self.box)

    # -- secrets at rest ----------------------------------------------------
    async def key_seal(self) -> int:
        return await self._reseal(self.box, only_plain=True)

    async def key_reseal(self, box: SecretBox) -> int:
        count = await self._reseal(box, only_plain=False)
        self.box = box
        return count

    async def _reseal(self, box: SecretBox, *, only_plain: bool) -> int:
        """Under row locks, so replicas starting together seal each key once."""
        async with self._tx() as cur:
            rows = await (await self._run(cur, "key_secret_rows", {})).fetchall()
            triples = [(r["id"], r["secret"], r["secret_sealed"]) for r in rows]
            updates = resealed(triples, self.box, box, only_plain=only_plain)
            for params in updates:
                await self._run(cur, "key_secret_set", params)
        return len(updates)

    # -- request replay and rate protection ---------------------------------
    async def nonce_remember(self, key_id: str, nonce: str, now: float) -> bool:
        async with self._statement() as cur:
            params = {"key_id": key_id, "nonce": nonce, "now": now}
            row = await (await self._run(cur, "nonce_remember", params)).fetchone()
        return row is not None

    async def rate_hit(self, key_id: str, window_start: float) -> int:
        async with self._statement() as cur:
            params = {"key_id": key_id, "window_start": window_start}
            row = await (await self._run(cur, "rate_hit", params)).fetchone()
            assert row is not None
            count = int(row["count"])
            if count == 1:  # a new window: the key's older ones are finished
                await self._run(cur, "rate_forget", params)
        return count
