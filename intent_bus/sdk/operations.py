"""Every public client method, written once for both clients.

Each method of ``Operations`` is a *plan*: a generator that checks arguments,
yields the ``Call`` (or ``Pause``) it needs, receives the parsed answer (or
has the error thrown back into it) and returns what the client method
returns. It does no I/O, so it holds the docstring, the signature and the
lease bookkeeping of the method exactly once; ``IntentClient`` runs plans
with blocking I/O, ``AsyncIntentClient`` with asyncio, and ``clientmethod``
gives both clients' methods the plan's name, docstring and signature.
"""

from __future__ import annotations

import time
from typing import Any

from intent_bus import protocol
from intent_bus.sdk import admin_calls, calls, schedule_calls
from intent_bus.sdk.admin_models import ApiKey, CreatedKey, QueueStats
from intent_bus.sdk.batch_ops import BatchOperations
from intent_bus.sdk.call import Call
from intent_bus.sdk.control_ops import ControlOperations
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.leases import LeaseMemory
from intent_bus.sdk.models import (
    ClaimResponse,
    IntentResult,
    IntentStatus,
    Schedule,
    ScheduleTick,
)
from intent_bus.sdk.plan import Pause, Plan, Step, describe

__all__ = ["Operations", "Pause", "Plan", "Step", "describe"]


class Operations(ControlOperations, BatchOperations):
    """The plans of one client, over that client's lease memory (the control
    API's plans are inherited from ``ControlOperations``)."""

    __slots__ = ("leases",)

    def __init__(self) -> None:
        self.leases = LeaseMemory()

    # ------------------------------------------------------------ intents

    def publish(
        self,
        /,
        goal: str,
        payload: Any,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        visibility: str = protocol.VISIBILITY_PRIVATE,
        priority: int = protocol.DEFAULT_PRIORITY,
        delay: float = 0.0,
        max_attempts: int = protocol.DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = protocol.DEFAULT_BACKOFF_BASE,
        target_worker: str | None = None,
        required_capability: str | None = None,
        idempotency_key: str | None = None,
        *,
        public: bool | None = None,
        concurrency_key: str | None = None,
    ) -> Plan[IntentStatus]:
        """Publishes an intent and returns its status (``job.id``).

        Every argument is checked before sending (``IntentBusError``). The
        publish carries an idempotency key (generated unless given) that its
        retries reuse, so one call creates at most one intent even when a
        response is lost. ``public=True`` is short for ``visibility="public"``.
        ``concurrency_key`` (e.g. a customer id) counts against the
        ``max_per_key`` of a limit (``set_limit``).
        """
        status: IntentStatus = yield calls.publish(
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
            concurrency_key=concurrency_key,
        )
        return status

    def claim(
        self,
        /,
        goal: str | None = None,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        worker_id: str | None = None,
        capabilities: list[str] | str | None = None,
        publisher: str | None = None,
        wait: float | None = None,
    ) -> Plan[ClaimResponse]:
        """Leases one eligible intent; falsy ``ClaimResponse`` when there is none.

        ``wait`` (seconds, up to 30) asks the server to hold the request until
        work arrives. A claim is never repeated once it may have reached the
        server: a lost answer raises ``IntentBusNetworkError`` rather than risk
        a second lease. The lease's token is remembered for ``fulfill``,
        ``fail`` and ``extend_claim``.
        """
        claimed: ClaimResponse = yield calls.claim(
            goal=goal,
            namespace=namespace,
            worker_id=worker_id,
            capabilities=capabilities,
            publisher=publisher,
            wait=wait,
        )
        self.leases.remember(claimed)
        return claimed

    def extend_claim(
        self,
        /,
        intent_id: Any,
        seconds: float = 60,
        claim_token: str | None = None,
        *,
        progress: float | str | None = None,
        checkpoint: Any = None,
    ) -> Plan[dict[str, Any]]:
        """Extends the lease to ``seconds`` from now; returns the server's answer
        (``lease_expires_at``, ``claim_timeout``). ``IntentBusLeaseLostError``
        when the lease is gone.

        ``progress`` (a fraction 0..1 or a short text) shows in the intent's
        status; ``checkpoint`` (any JSON, at most 64 KiB) is handed to the
        next worker that claims the intent after a failure or a lost lease, as
        ``ClaimedIntent.checkpoint``. Both are saved only while the lease is
        held, and None leaves the saved value as it is::

            job = client.claim(goal="encode", namespace="media")
            for step in range((job.checkpoint or {}).get("step", 0), 10):
                encode_part(job.payload, step)
                client.extend_claim(job.id, 300, progress=step / 10,
                                    checkpoint={"step": step + 1})
        """
        intent, token = calls.lease_of(intent_id, claim_token, self.leases.tokens)
        call = calls.extend_claim(intent, token, seconds, progress, checkpoint)
        try:
            answer: dict[str, Any] = yield call
        except IntentBusError as exc:
            self.leases.forget(intent, token, exc)
            raise
        return answer

    def fulfill(
        self,
        /,
        intent_id: Any,
        *,
        result: Any = None,
        result_type: str = protocol.RESULT_TYPE_JSON,
        claim_token: str | None = None,
    ) -> Plan[dict[str, Any]]:
        """Marks a claimed intent fulfilled with ``result`` (any JSON value, or a
        string with ``result_type="text"``). ``IntentBusLeaseLostError`` when
        the lease is gone."""
        intent, token = calls.lease_of(intent_id, claim_token, self.leases.tokens)
        return (
            yield from self._finish(
                intent, token, calls.fulfill(intent, token, result, result_type)
            )
        )

    def fail(
        self, /, intent_id: Any, error: str = "", *, claim_token: str | None = None
    ) -> Plan[dict[str, Any]]:
        """Gives a claimed intent back as failed: it is retried after a backoff
        while attempts remain, else it is dead. ``IntentBusLeaseLostError`` when
        the lease is gone."""
        intent, token = calls.lease_of(intent_id, claim_token, self.leases.tokens)
        return (
            yield from self._finish(intent, token, calls.fail(intent, token, error))
        )

    def _finish(
        self, intent: str, token: str, verdict: Call[dict[str, Any]]
    ) -> Plan[dict[str, Any]]:
        # The lease is over once the verdict is in, or once the server says the
        # lease is gone.
        try:
            answer: dict[str, Any] = yield verdict
        except IntentBusError as exc:
            self.leases.forget(intent, token, exc)
            raise
        self.leases.forget(intent, token)
        return answer

    def get_status(self, /, intent_id: Any) -> Plan[IntentStatus]:
        """The intent's current status; ``IntentBusError`` (404) when it is
        unknown or not yours."""
        status: IntentStatus = yield calls.get_status(intent_id)
        return status

    def get_result(self, /, intent_id: Any) -> Plan[IntentResult | None]:
        """The intent's outcome once it is finished (``fulfilled``, ``dead`` or
        ``cancelled``); **None while it is still open or claimed**.

        It does not wait: right after ``publish``, with the work done by a
        separate worker, the answer is None, so test it, or call
        ``wait_for_result``, which waits and never returns None::

            done = client.get_result(job.id)
            if done is not None:
                print(done.status, done.result)

        ``IntentBusError`` (404) when the intent is unknown or not yours.
        """
        result: IntentResult | None = yield calls.get_result(intent_id)
        return result

    def wait_for_result(
        self, /, intent_id: Any, timeout: float = 60.0, poll_interval: float = 0.5
    ) -> Plan[IntentResult]:
        """Waits for the intent to finish and returns its outcome (never None):
        the way to read a result a worker produces::

            job = client.publish("resize", {"url": "s3://b/1.png"})
            print(client.wait_for_result(job.id, timeout=30).result)

        Polls ``get_result`` every ``poll_interval`` seconds; raises
        ``TimeoutError`` after ``timeout`` seconds. Check ``status``: a
        ``dead`` intent carries its ``error`` and no result, a ``cancelled``
        one neither."""
        deadline = time.monotonic() + timeout
        while True:
            result: IntentResult | None = yield calls.get_result(intent_id)
            if result is not None:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"intent {intent_id} not finished after {timeout}s")
            yield Pause(min(poll_interval, remaining))

    # ------------------------------------------------------------ key-value

    def set(
        self, /, key: str, value: Any, ttl: int = protocol.KV_DEFAULT_TTL
    ) -> Plan[None]:
        """Stores any JSON value under ``key`` for ``ttl`` seconds (the server
        may cap it). See ``intent_bus.sdk.kv`` for how values are encoded."""
        yield calls.kv_set(key, value, ttl)

    def get(self, /, key: str, default: Any = None) -> Plan[Any]:
        """The value stored under ``key``, or ``default`` when missing or expired."""
        value: Any = yield calls.kv_get(key, default)
        return value

    # ------------------------------------------------------------ schedules

    def set_schedule(
        self,
        /,
        name: str,
        cron: str,
        goal: str,
        payload: Any = None,
        *,
        timezone: str = protocol.DEFAULT_TIMEZONE,
        overlap: str = protocol.OVERLAP_ALLOW,
        catch_up: str = protocol.CATCH_UP_LATEST,
        paused: bool = False,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        visibility: str = protocol.VISIBILITY_PRIVATE,
        priority: int = protocol.DEFAULT_PRIORITY,
        delay: float = 0.0,
        max_attempts: int = protocol.DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = protocol.DEFAULT_BACKOFF_BASE,
        target_worker: str | None = None,
        required_capability: str | None = None,
        owner: str | None = None,
        concurrency_key: str | None = None,
    ) -> Plan[Schedule]:
        """Creates or replaces the schedule ``name``: at every tick of ``cron``
        (5 fields, or 6 with leading seconds) read in ``timezone``, the server
        publishes ``goal`` with ``payload`` and the publish arguments given.

        ``overlap="skip"`` skips ticks while the last published intent is not
        finished; ``catch_up`` ("none", "latest", "all") says which ticks
        missed while no server ran are still published. Safe to retry. A bad
        cron or zone is ``IntentBusError`` (400) naming the field::

            client.set_schedule("nightly", "30 2 * * *", "report", {"full": True},
                                timezone="Europe/Berlin")
        """
        intent = calls.publish_body(
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
            concurrency_key=concurrency_key,
        )
        schedule: Schedule = yield schedule_calls.set_schedule(
            name,
            cron,
            intent,
            timezone=timezone,
            overlap=overlap,
            catch_up=catch_up,
            paused=paused,
            owner=owner,
        )
        return schedule

    def list_schedules(self, /, owner: str | None = None) -> Plan[list[Schedule]]:
        """Your tenant's schedules by name (with an admin key: everyone's, or
        ``owner``'s)."""
        found: list[Schedule] = yield schedule_calls.list_schedules(owner)
        return found

    def get_schedule(self, /, name: str, owner: str | None = None) -> Plan[Schedule]:
        """The schedule with its next fire times; ``IntentBusError`` (404) when
        it does not exist or is another tenant's."""
        schedule: Schedule = yield schedule_calls.get_schedule(name, owner)
        return schedule

    def delete_schedule(self, /, name: str, owner: str | None = None) -> Plan[None]:
        """Deletes the schedule (intents it published stay); ``IntentBusError``
        (404) when it does not exist. Safe to retry."""
        yield schedule_calls.delete_schedule(name, owner)

    def trigger_schedule(
        self, /, name: str, owner: str | None = None
    ) -> Plan[ScheduleTick]:
        """Publishes one tick of the schedule now, even when paused; returns the
        tick (``intent_id``). Not retried once the request may have arrived."""
        tick: ScheduleTick = yield schedule_calls.trigger_schedule(name, owner)
        return tick

    # ------------------------------------------------------------ admin

    def create_key(self, /, owner: str) -> Plan[CreatedKey]:
        """Creates a tenant key for ``owner``; the answer's ``api_key`` is its secret.

        The answer (a ``CreatedKey``: ``api_key``, ``id``, ``owner``, ``role``,
        ``created_at``; it also reads as the dict earlier releases returned)
        is the only time the secret is shown: store it. Keys of one owner share
        that tenant's intents and KV. Repeated only when the server certainly
        did not act, so a lost answer raises ``IntentBusNetworkError`` rather
        than leave a second, unseen key behind. Needs an admin key: a tenant
        key gets ``IntentBusAuthError`` (an ``IntentBusError``, status 403,
        code ``forbidden``)::

            tenant = admin.create_key("acme")
            IntentClient(api_key=tenant.api_key).publish("g", {})
        """
        created: CreatedKey = yield admin_calls.create_key(owner)
        return created

    def list_keys(self, /) -> Plan[list[ApiKey]]:
        """Every key's view (``ApiKey``: ``id``, ``owner``, ``role``,
        ``created_at``, ``revoked_at``), oldest first; secrets are never
        returned. Needs an admin key (a tenant key gets ``IntentBusAuthError``,
        status 403)."""
        keys: list[ApiKey] = yield admin_calls.list_keys()
        return keys

    def revoke_key(self, /, key_id: str) -> Plan[ApiKey]:
        """Revokes a tenant key by its ``id``; returns its view with ``revoked_at``.

        The key fails with ``IntentBusAuthError`` from then on (on other server
        replicas within seconds). Safe to retry: revoking twice keeps the first
        revocation time. An unknown id raises ``IntentBusError`` (404); admin
        keys cannot be revoked here, and a tenant key calling this gets
        ``IntentBusAuthError`` (both status 403).
        """
        view: ApiKey = yield admin_calls.revoke_key(key_id)
        return view

    def queue_stats(self, /) -> Plan[QueueStats]:
        """Intent counts over all tenants (``QueueStats``): ``by_status``
        (status -> n), ``by_namespace`` (namespace -> status -> n) and
        ``oldest_open_created_at`` (None when nothing is open). Needs an admin
        key (a tenant key gets ``IntentBusAuthError``, status 403)."""
        stats: QueueStats = yield admin_calls.queue_stats()
        return stats

    def list_dead(
        self,
        /,
        owner: str | None = None,
        namespace: str | None = None,
        limit: int = 100,
    ) -> Plan[list[IntentStatus]]:
        """Dead intents of every tenant, most recently dead first, at most
        ``limit`` (1..1000); ``owner`` and ``namespace`` narrow the list.

        Each status carries its tenant in ``extra["owner"]`` and why it died in
        ``error``. Needs an admin key (a tenant key gets ``IntentBusAuthError``,
        status 403).
        """
        dead: list[IntentStatus] = yield admin_calls.list_dead(owner, namespace, limit)
        return dead

    def requeue(self, /, intent_id: Any) -> Plan[IntentStatus]:
        """Reopens a dead intent with a fresh set of attempts; returns its status
        (``open``, ``claim_attempts`` 0), and waiting workers are woken.

        ``IntentBusError`` (404) unless the intent exists and is dead, so a
        repeat changes nothing and retries are safe; a 404 after a lost answer
        says the first attempt may have worked. Needs an admin key (a tenant
        key gets ``IntentBusAuthError``, status 403).
        """
        status: IntentStatus = yield admin_calls.requeue(intent_id)
        return status
