"""``IntentClient``: the blocking client, for scripts, workers and web apps.

Each method builds its request with ``calls`` (validation, body, retry safety)
and sends it through the retrying loop of ``retry``; this module only does I/O.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, TypeVar

import httpx

from intent_bus import protocol
from intent_bus.sdk import admin_calls, calls
from intent_bus.sdk.core import KEEPALIVE_EXPIRY, MAX_IDLE_CONNECTIONS, ClientCore
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.models import ClaimResponse, IntentResult, IntentStatus
from intent_bus.sdk.retry import RetryPolicy, send_sync
from intent_bus.sdk.stdlib_transport import default_transport
from intent_bus.sdk.transport import mapped_errors

__all__ = ["IntentClient"]

T = TypeVar("T")


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

    # ------------------------------------------------------------ plumbing

    def _send_once(self, call: calls.Call[T]) -> httpx.Response:
        with mapped_errors(call.method, call.path):
            response = self._http.request(
                call.method, call.path, **self._request_options(call)
            )
        self._check_version(response)
        return response

    def _send(self, call: calls.Call[T]) -> T:
        return send_sync(call, self._send_once, self._retry)

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

    # ------------------------------------------------------------ intents

    def publish(
        self,
        goal: str,
        payload: Any,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        visibility: str = "private",
        priority: int = protocol.DEFAULT_PRIORITY,
        delay: float = 0.0,
        max_attempts: int = protocol.DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = protocol.DEFAULT_BACKOFF_BASE,
        target_worker: str | None = None,
        required_capability: str | None = None,
        idempotency_key: str | None = None,
        *,
        public: bool | None = None,
    ) -> IntentStatus:
        """Publishes an intent and returns its status (``job.id``).

        Every argument is checked before sending (``IntentBusError``). The
        publish carries an idempotency key (generated unless given) that its
        retries reuse, so one call creates at most one intent even when a
        response is lost. ``public=True`` is short for ``visibility="public"``.
        """
        return self._send(
            calls.publish(
                goal,
                payload,
                namespace=namespace,
                visibility=visibility,
                priority=priority,
                delay=delay,
                max_attempts=max_attempts,
                backoff_base=backoff_base,
                target_worker=target_worker,
                required_capability=required_capability,
                idempotency_key=idempotency_key,
                public=public,
            )
        )

    def claim(
        self,
        goal: str | None = None,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        worker_id: str | None = None,
        capabilities: list[str] | str | None = None,
        publisher: str | None = None,
        wait: float | None = None,
    ) -> ClaimResponse:
        """Leases one eligible intent; falsy ``ClaimResponse`` when there is none.

        ``wait`` (seconds, up to 30) asks the server to hold the request until
        work arrives. A claim is never repeated once it may have reached the
        server: a lost answer raises ``IntentBusNetworkError`` rather than risk
        a second lease. The lease's token is remembered for ``fulfill``,
        ``fail`` and ``extend_claim``.
        """
        claimed = self._send(
            calls.claim(
                goal=goal,
                namespace=namespace,
                worker_id=worker_id,
                capabilities=capabilities,
                publisher=publisher,
                wait=wait,
            )
        )
        self._remember(claimed)
        return claimed

    def extend_claim(
        self, intent_id: Any, seconds: float = 60, claim_token: str | None = None
    ) -> dict[str, Any]:
        """Extends the lease to ``seconds`` from now; returns the server's answer
        (``lease_expires_at``, ``claim_timeout``). ``IntentBusLeaseLostError``
        when the lease is gone."""
        intent, token = calls.lease_of(intent_id, claim_token, self._leases)
        try:
            return self._send(calls.extend_claim(intent, token, seconds))
        except IntentBusError as exc:
            self._forget(intent, token, exc)
            raise

    def fulfill(
        self,
        intent_id: Any,
        *,
        result: Any = None,
        result_type: str = "json",
        claim_token: str | None = None,
    ) -> dict[str, Any]:
        """Marks a claimed intent fulfilled with ``result`` (any JSON value, or a
        string with ``result_type="text"``). ``IntentBusLeaseLostError`` when
        the lease is gone."""
        intent, token = calls.lease_of(intent_id, claim_token, self._leases)
        try:
            answer = self._send(calls.fulfill(intent, token, result, result_type))
        except IntentBusError as exc:
            self._forget(intent, token, exc)
            raise
        self._forget(intent, token)
        return answer

    def fail(
        self, intent_id: Any, error: str = "", *, claim_token: str | None = None
    ) -> dict[str, Any]:
        """Gives a claimed intent back as failed: it is retried after a backoff
        while attempts remain, else it is dead. ``IntentBusLeaseLostError`` when
        the lease is gone."""
        intent, token = calls.lease_of(intent_id, claim_token, self._leases)
        try:
            answer = self._send(calls.fail(intent, token, error))
        except IntentBusError as exc:
            self._forget(intent, token, exc)
            raise
        self._forget(intent, token)
        return answer

    def get_status(self, intent_id: Any) -> IntentStatus:
        """The intent's current status; ``IntentBusError`` (404) when it is
        unknown or not yours."""
        return self._send(calls.get_status(intent_id))

    def get_result(self, intent_id: Any) -> IntentResult | None:
        """The intent's outcome once ``fulfilled`` or ``dead``, else None."""
        return self._send(calls.get_result(intent_id))

    def wait_for_result(
        self, intent_id: Any, timeout: float = 60.0, poll_interval: float = 0.5
    ) -> IntentResult:
        """Polls ``get_result`` until the intent finishes; ``TimeoutError`` after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.get_result(intent_id)
            if result is not None:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"intent {intent_id} not finished after {timeout}s")
            time.sleep(min(poll_interval, remaining))

    # ------------------------------------------------------------ key-value

    def set(self, key: str, value: Any, ttl: int = protocol.KV_DEFAULT_TTL) -> None:
        """Stores any JSON value under ``key`` for ``ttl`` seconds (the server
        may cap it). See ``intent_bus.sdk.kv`` for how values are encoded."""
        self._send(calls.kv_set(key, value, ttl))

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` when missing or expired."""
        return self._send(calls.kv_get(key, default))

    # ------------------------------------------------------------ admin

    def create_key(self, owner: str) -> dict[str, Any]:
        """Creates a tenant key for ``owner``; the answer's ``api_key`` is its secret.

        The answer (``api_key``, ``id``, ``owner``, ``role``, ``created_at``) is
        the only time the secret is shown: store it. Keys of one owner share
        that tenant's intents and KV. Repeated only when the server certainly
        did not act, so a lost answer raises ``IntentBusNetworkError`` rather
        than leave a second, unseen key behind. Needs an admin key: a tenant
        key gets ``IntentBusAuthError`` (an ``IntentBusError``, status 403,
        code ``forbidden``)::

            tenant = admin.create_key("acme")
            IntentClient(api_key=tenant["api_key"]).publish("g", {})
        """
        return self._send(admin_calls.create_key(owner))

    def list_keys(self) -> list[dict[str, Any]]:
        """Every key's view (``id``, ``owner``, ``role``, ``created_at``,
        ``revoked_at``), oldest first; secrets are never returned. Needs an
        admin key (a tenant key gets ``IntentBusAuthError``, status 403)."""
        return self._send(admin_calls.list_keys())

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        """Revokes a tenant key by its ``id``; returns its view with ``revoked_at``.

        The key fails with ``IntentBusAuthError`` from then on (on other server
        replicas within seconds). Safe to retry: revoking twice keeps the first
        revocation time. An unknown id raises ``IntentBusError`` (404); admin
        keys cannot be revoked here, and a tenant key calling this gets
        ``IntentBusAuthError`` (both status 403).
        """
        return self._send(admin_calls.revoke_key(key_id))

    def queue_stats(self) -> dict[str, Any]:
        """Intent counts over all tenants: ``by_status`` (status -> n),
        ``by_namespace`` (namespace -> status -> n) and
        ``oldest_open_created_at`` (None when nothing is open). Needs an admin
        key (a tenant key gets ``IntentBusAuthError``, status 403)."""
        return self._send(admin_calls.queue_stats())

    def list_dead(
        self,
        owner: str | None = None,
        namespace: str | None = None,
        limit: int = 100,
    ) -> list[IntentStatus]:
        """Dead intents of every tenant, most recently dead first, at most
        ``limit`` (1..1000); ``owner`` and ``namespace`` narrow the list.

        Each status carries its tenant in ``extra["owner"]`` and why it died in
        ``error``. Needs an admin key (a tenant key gets ``IntentBusAuthError``,
        status 403).
        """
        return self._send(admin_calls.list_dead(owner, namespace, limit))

    def requeue(self, intent_id: Any) -> IntentStatus:
        """Reopens a dead intent with a fresh set of attempts; returns its status
        (``open``, ``claim_attempts`` 0), and waiting workers are woken.

        ``IntentBusError`` (404) unless the intent exists and is dead, so a
        repeat changes nothing and retries are safe; a 404 after a lost answer
        says the first attempt may have worked. Needs an admin key (a tenant
        key gets ``IntentBusAuthError``, status 403).
        """
        return self._send(admin_calls.requeue(intent_id))
