"""AsyncIntentClient used the asyncio way: context manager, concurrent calls."""

from __future__ import annotations

import asyncio

import pytest

from intent_bus import AsyncIntentClient
from tests.harness import ServerHandle

pytestmark = pytest.mark.anyio


async def test_async_context_manager_and_concurrent_publishes(
    sqlite_server: ServerHandle, tenant_key: str
) -> None:
    async with AsyncIntentClient(sqlite_server.url, tenant_key) as client:
        jobs = await asyncio.gather(
            *(client.publish("g", {"i": i}, namespace="conc") for i in range(20))
        )
        assert len({job.id for job in jobs}) == 20
        claimed = await asyncio.gather(
            *(client.claim(namespace="conc") for _ in range(20))
        )
        assert {job.id for job in claimed} == {job.id for job in jobs}
        await asyncio.gather(
            *(client.fulfill(job, result=job.payload) for job in claimed)
        )
        result = await client.wait_for_result(jobs[0].id, timeout=5)
        assert result.result == {"i": 0}


async def test_aclose_closes(sqlite_server: ServerHandle, tenant_key: str) -> None:
    client = AsyncIntentClient(sqlite_server.url, tenant_key)
    await client.set("k", "v")
    await client.aclose()
    with pytest.raises(RuntimeError):
        await client.get("k")
