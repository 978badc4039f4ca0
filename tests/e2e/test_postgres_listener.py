"""Cross-replica wake-ups on PostgreSQL: a write on one store calls the work
callbacks of another, and a listener whose connection is killed comes back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import psycopg
import pytest

from intent_bus.storage.base import Work
from intent_bus.storage.postgres import PostgresStore
from intent_bus.storage.postgres.listener import CHANNEL
from tests.contract.conftest import NOW, new_intent
from tests.pgutil import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]


@pytest.fixture
async def two_replicas() -> AsyncIterator[tuple[PostgresStore, PostgresStore, str]]:
    with fresh_postgres_database() as url:
        first, second = PostgresStore.from_url(url), PostgresStore.from_url(url)
        await first.start()
        await second.start()
        try:
            yield first, second, url
        finally:
            await first.close()
            await second.close()


async def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_publish_on_one_store_wakes_the_other_but_not_itself(
    two_replicas: tuple[PostgresStore, PostgresStore, str],
) -> None:
    publisher, listener, _ = two_replicas
    heard: list[str] = []
    works: list[Work | None] = []
    publisher.on_work(lambda work: heard.append("publisher"))
    listener.on_work(lambda work: (heard.append("listener"), works.append(work)))
    intent = new_intent(goal="wake", payload=b"1", target_worker="w-1")
    await publisher.intent_publish(intent, None, NOW)
    await _until(lambda: "listener" in heard)
    # The notification says who could take the intent, so the other replica
    # can wake just that waiter.
    assert works == [
        Work(intent.owner, intent.namespace, "wake", intent.visibility, "w-1", None)
    ]
    # The publisher's own process woke its waiters directly; give a stray
    # self-notification time to arrive before concluding it never does.
    await asyncio.sleep(0.2)
    assert "publisher" not in heard


async def test_listener_reconnects_after_its_connection_is_killed(
    two_replicas: tuple[PostgresStore, PostgresStore, str],
) -> None:
    publisher, listener, url = two_replicas
    heard: list[Work | None] = []
    listener.on_work(heard.append)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        cur = await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query = %s",
            (f'LISTEN "{CHANNEL}"',),
        )
        assert len(await cur.fetchall()) == 2  # both stores' listeners
    # Back on its feet, the listener wakes everybody once (it may have missed
    # something) and hears later publishes again.
    await _until(lambda: len(heard) >= 1)
    assert heard[0] is None  # unknown work: wake every waiter once
    before = len(heard)
    await publisher.intent_publish(new_intent(goal="wake", payload=b"1"), None, NOW)
    await _until(lambda: len(heard) > before)
    assert heard[-1] is not None and heard[-1].goal == "wake"
