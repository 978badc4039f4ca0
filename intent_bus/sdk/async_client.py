"""``AsyncIntentClient``: the asyncio client, with the same methods as IntentClient.

Each method is a plan of ``operations`` (checks, calls, lease bookkeeping, the
docstring) run here with asyncio: every call goes through the retrying loop of
``retry``. This module only sends and sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from intent_bus.sdk.call import Call
from intent_bus.sdk.control_models import IntentRow
from intent_bus.sdk.control_ops import ITER_INTENTS_DOC
from intent_bus.sdk.core import ClientCore
from intent_bus.sdk.operations import Operations, Pause, Plan, describe
from intent_bus.sdk.retry import RetryPolicy, send_async
from intent_bus.sdk.transport import mapped_errors

__all__ = ["AsyncIntentClient"]

T = TypeVar("T")
P = ParamSpec("P")


def _awaitable(
    plan: Callable[Concatenate[Operations, P], Plan[T]],
) -> Callable[Concatenate[AsyncIntentClient, P], Coroutine[Any, Any, T]]:
    """The AsyncIntentClient coroutine method that runs `plan` (same arguments
    and docs as the IntentClient method)."""

    async def method(
        self: AsyncIntentClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await self._run(plan(self._ops, *args, **kwargs))

    return describe(method, plan)


class AsyncIntentClient(ClientCore):
    """The asyncio twin of ``IntentClient``: same arguments, same methods, awaited.

    ``base_url`` defaults to ``INTENT_BUS_URL``, else ``http://127.0.0.1:8000``;
    ``api_key`` to ``INTENT_API_KEY``, else the file ``~/.apikey``
    (``IntentBusAuthError`` when there is none). ``timeout`` bounds each attempt
    in seconds; ``retry`` sets how failed attempts are repeated (see
    ``RetryPolicy``); ``transport`` replaces httpx's transport (proxies, tests).
    Use it as an async context manager or await ``close()``::

        async with AsyncIntentClient() as client:
            job = await client.publish("process_image", {"url": "s3://b/1.png"})
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key, timeout, retry)
        self._http = httpx.AsyncClient(transport=transport, **self._http_options())

    # ------------------------------------------------------------ plumbing

    async def _send_once(self, call: Call[T]) -> httpx.Response:
        with mapped_errors(call.method, call.path):
            response = await self._http.request(
                call.method, call.path, **self._request_options(call)
            )
        self._check_version(response)
        return response

    async def _send(self, call: Call[T]) -> T:
        return await send_async(call, self._send_once, self._retry)

    async def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                try:
                    if isinstance(step, Pause):
                        await asyncio.sleep(step.seconds)
                        answer = None
                    else:
                        answer = await self._send(step)
                except Exception as exc:
                    step = plan.throw(exc)
                else:
                    step = plan.send(answer)
        except StopIteration as done:
            result: T = done.value
            return result

    async def close(self) -> None:
        """Closes the pooled connections; the client cannot be used afterwards."""
        await self._http.aclose()

    async def aclose(self) -> None:
        """Same as ``close()``, under the name httpx and asyncio code expect."""
        await self.close()

    async def __aenter__(self) -> AsyncIntentClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------ the API
    # Signatures and docstrings are those of `Operations`, as in IntentClient.

    publish = _awaitable(Operations.publish)
    claim = _awaitable(Operations.claim)
    extend_claim = _awaitable(Operations.extend_claim)
    fulfill = _awaitable(Operations.fulfill)
    fail = _awaitable(Operations.fail)
    get_status = _awaitable(Operations.get_status)
    get_result = _awaitable(Operations.get_result)
    wait_for_result = _awaitable(Operations.wait_for_result)
    set = _awaitable(Operations.set)
    get = _awaitable(Operations.get)
    create_key = _awaitable(Operations.create_key)
    list_keys = _awaitable(Operations.list_keys)
    revoke_key = _awaitable(Operations.revoke_key)
    queue_stats = _awaitable(Operations.queue_stats)
    list_dead = _awaitable(Operations.list_dead)
    requeue = _awaitable(Operations.requeue)
    set_schedule = _awaitable(Operations.set_schedule)
    list_schedules = _awaitable(Operations.list_schedules)
    get_schedule = _awaitable(Operations.get_schedule)
    delete_schedule = _awaitable(Operations.delete_schedule)
    trigger_schedule = _awaitable(Operations.trigger_schedule)
    list_intents = _awaitable(Operations.list_intents)
    get_intent = _awaitable(Operations.get_intent)
    intent_events = _awaitable(Operations.intent_events)
    explain = _awaitable(Operations.explain)
    explain_claim = _awaitable(Operations.explain_claim)
    list_workers = _awaitable(Operations.list_workers)
    stats = _awaitable(Operations.stats)
    cancel = _awaitable(Operations.cancel)
    requeue_intent = _awaitable(Operations.requeue_intent)
    pause = _awaitable(Operations.pause)
    resume = _awaitable(Operations.resume)
    list_pauses = _awaitable(Operations.list_pauses)
    set_limit = _awaitable(Operations.set_limit)
    limits = _awaitable(Operations.limits)
    delete_limit = _awaitable(Operations.delete_limit)
    requeue_many = _awaitable(Operations.requeue_many)
    cancel_many = _awaitable(Operations.cancel_many)
    publish_many = _awaitable(Operations.publish_many)
    claim_many = _awaitable(Operations.claim_many)
    complete_many = _awaitable(Operations.complete_many)

    async def iter_intents(self, /, **filters: Any) -> AsyncIterator[IntentRow]:
        cursor: str | None = None
        while True:
            page = await self.list_intents(cursor=cursor, **filters)
            for row in page.intents:
                yield row
            cursor = page.next_cursor
            if cursor is None:
                return

    iter_intents.__doc__ = ITER_INTENTS_DOC
