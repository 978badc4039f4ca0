"""A signed request's nonce, recorded by the request's own first operation on
PostgreSQL (see `intent_bus.storage.replay` for why it is deferred at all).

The nonce goes in as that operation's first statement, on the same connection
and in the same transaction: a separate statement before the operation's own
(``nonce_take``), so the operation's queries stay as they are. Where the
operation is a single statement or a pipeline on an autocommit connection (a
publish, a claim, a fulfill: the hot path), the nonce is sent in a pipeline with
it, so everything up to the pipeline's one Sync is one implicit transaction
and one round trip. In an explicit transaction it is simply its first
statement. Either way a nonce used before fails its insert, the transaction
aborts before the operation changes anything, and the request is refused with
`Replayed`. The nonces table stays the one record, shared by every replica.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import psycopg
from psycopg.rows import DictRow

from intent_bus.storage import replay
from intent_bus.storage.postgres.prepared import execute

NONCE_KEY = "nonces_pkey"
"""The key a used nonce breaks (migration 0001's primary key of `nonces`)."""


@contextlib.asynccontextmanager
async def nonce_first(
    conn: psycopg.AsyncConnection[DictRow],
    queries: dict[str, str],
    *,
    pipelined: bool,
) -> AsyncIterator[None]:
    """Sends the current request's pending nonce (if any) ahead of the
    statements run in the block; `pipelined` holds the connection in pipeline
    mode for the whole block (autocommit connections only)."""
    pending = replay.take_pending()
    if pending is None:
        yield
        return
    try:
        if pipelined:
            async with conn.pipeline():
                await execute(conn, queries, "nonce_take", pending.params())
                yield
        else:
            await execute(conn, queries, "nonce_take", pending.params())
            yield
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == NONCE_KEY:
            raise replay.Replayed("nonce already used") from exc
        pending.release()
        raise
    except psycopg.Error:
        pending.release()  # the transaction aborted, and the nonce with it
        raise
    except BaseException:
        # Refused in Python (a lost lease, an unknown id): an explicit
        # transaction rolls back, but a pipeline still ends with its Sync,
        # which commits the nonce with the statements that ran.
        if not pipelined:
            pending.release()
        raise
