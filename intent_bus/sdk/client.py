"""``IntentClient``: the blocking client, for scripts, workers and web apps.

Each method is a plan of ``operations`` (checks, calls, lease bookkeeping, the
docstring) run here with blocking I/O: every call goes through the retrying
loop of ``retry``. This module only sends and sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from intent_bus.sdk.call import Call
from intent_bus.sdk.control_models import IntentRow
from intent_bus.sdk.control_ops import ITER_INTENTS_DOC
from intent_bus.sdk.core import KEEPALIVE_EXPIRY, MAX_IDLE_CONNECTIONS, ClientCore
from intent_bus.sdk.operations import Operations, Pause, Plan, describe
from intent_bus.sdk.retry import RetryPolicy, send_sync
from intent_bus.sdk.stdlib_transport import default_transport
from intent_bus.sdk.transport import mapped_errors
from intent_bus.sdk.wire import Wire

__all__ = ["IntentClient"]

T = TypeVar("T")
P = ParamSpec("P")


def _blocking(
    plan: Callable[Concatenate[Operations, P], Plan[T]],
) -> Callable[Concatenate[IntentClient, P], T]:
    """The IntentClient method that runs `plan` (same arguments and docs)."""

    def method(self: IntentClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(plan(self._ops, *args, **kwargs))

    return describe(method, plan)


class IntentClient(ClientCore):
    """A connection-pooling client for one Intent Bus server and API key.

    ``base_url`` defaults to ``INTENT_BUS_URL``, else ``http://127.0.0.1:8000``;
    ``api_key`` to ``INTENT_API_KEY``, else the file ``~/.apikey``
    (``IntentBusAuthError`` when there is none). ``timeout`` bounds each attempt
    in seconds; ``retry`` sets how failed attempts are repeated (see
    ``RetryPolicy``); ``transport`` replaces the default transport (proxies,
    tests). That default is ``StdlibTransport``, which sends through
    ``http.client`` at a fraction of httpcore's CPU per call, unless a proxy
    from the environment applies.
    Thread-safe; use it as a context manager or call ``close()``::

        with IntentClient() as client:
            job = client.publish("process_image", {"url": "s3://b/1.png"})
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key, timeout, retry)
        if transport is None:
            transport = default_transport(
                self.base_url,
                keepalive_expiry=KEEPALIVE_EXPIRY,
                max_idle=MAX_IDLE_CONNECTIONS,
            )
        self._http = httpx.Client(transport=transport, **self._http_options())
        self._wire = Wire.over(self._http, transport, self._auth.signer, self._timeout)

    # ------------------------------------------------------------ plumbing

    def _send_once(self, call: Call[T]) -> httpx.Response:
        # The default transport takes the fast path (``wire``); httpx sends
        # the rest, and the calls that path leaves to it.
        wire = self._wire
        out = None if wire is None else wire.prepare(call)
        with mapped_errors(call.method, call.path):
            if wire is not None and out is not None:
                response = wire.send(out)
            else:
                response = self._http.request(
                    call.method, call.path, **self._request_options(call)
                )
        self._check_version(response)
        return response

    def _send(self, call: Call[T]) -> T:
        return send_sync(call, self._send_once, self._retry)

    def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                try:
                    if isinstance(step, Pause):
                        time.sleep(step.seconds)
                        answer = None
                    else:
                        answer = self._send(step)
                except Exception as exc:
                    step = plan.throw(exc)
                else:
                    step = plan.send(answer)
        except StopIteration as done:
            result: T = done.value
            return result

    def close(self) -> None:
        """Closes the pooled connections; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> IntentClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ the API
    # Signatures and docstrings are those of `Operations`.

    publish = _blocking(Operations.publish)
    claim = _blocking(Operations.claim)
    extend_claim = _blocking(Operations.extend_claim)
    fulfill = _blocking(Operations.fulfill)
    fail = _blocking(Operations.fail)
    get_status = _blocking(Operations.get_status)
    get_result = _blocking(Operations.get_result)
    wait_for_result = _blocking(Operations.wait_for_result)
    set = _blocking(Operations.set)
    get = _blocking(Operations.get)
    create_key = _blocking(Operations.create_key)
    list_keys = _blocking(Operations.list_keys)
    revoke_key = _blocking(Operations.revoke_key)
    queue_stats = _blocking(Operations.queue_stats)
    list_dead = _blocking(Operations.list_dead)
    requeue = _blocking(Operations.requeue)
    set_schedule = _blocking(Operations.set_schedule)
    list_schedules = _blocking(Operations.list_schedules)
    get_schedule = _blocking(Operations.get_schedule)
    delete_schedule = _blocking(Operations.delete_schedule)
    trigger_schedule = _blocking(Operations.trigger_schedule)
    list_intents = _blocking(Operations.list_intents)
    get_intent = _blocking(Operations.get_intent)
    intent_events = _blocking(Operations.intent_events)
    explain = _blocking(Operations.explain)
    explain_claim = _blocking(Operations.explain_claim)
    list_workers = _blocking(Operations.list_workers)
    stats = _blocking(Operations.stats)
    cancel = _blocking(Operations.cancel)
    requeue_intent = _blocking(Operations.requeue_intent)
    pause = _blocking(Operations.pause)
    resume = _blocking(Operations.resume)
    list_pauses = _blocking(Operations.list_pauses)
    set_limit = _blocking(Operations.set_limit)
    limits = _blocking(Operations.limits)
    delete_limit = _blocking(Operations.delete_limit)
    requeue_many = _blocking(Operations.requeue_many)
    cancel_many = _blocking(Operations.cancel_many)
    publish_many = _blocking(Operations.publish_many)
    claim_many = _blocking(Operations.claim_many)
    complete_many = _blocking(Operations.complete_many)

    def iter_intents(self, /, **filters: Any) -> Iterator[IntentRow]:
        cursor: str | None = None
        while True:
            page = self.list_intents(cursor=cursor, **filters)
            yield from page.intents
            cursor = page.next_cursor
            if cursor is None:
                return

    iter_intents.__doc__ = ITER_INTENTS_DOC
