"""The control API's client methods (see the server's docs/PROTOCOL.md), each
written once as a plan, like ``operations``.

A tenant key sees and steers only its own tenant's intents, workers and
pauses (another tenant's intent is ``IntentBusError`` 404); an admin key sees
every tenant's and may pass ``owner`` to narrow to one (a tenant key passing
``owner`` gets 400).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from intent_bus import protocol
from intent_bus.sdk import control_calls, limits
from intent_bus.sdk.control_models import (
    BulkResult,
    ClaimExplanation,
    Explanation,
    IntentDetail,
    IntentEvent,
    IntentPage,
    IntentRow,
    QueueOverview,
    QueuePause,
    WorkerInfo,
)
from intent_bus.sdk.limits import ConcurrencyLimit
from intent_bus.sdk.plan import Plan

__all__ = ["ITER_INTENTS_DOC", "ControlOperations"]

ITER_INTENTS_DOC = """Every intent matching the filters, newest first, fetching
page after page of ``list_intents`` as you iterate (the same keyword
arguments, ``cursor`` aside; ``limit`` is the page size). Stop early with
``break``: no page is fetched before it is needed. The async client's is an
async iterator::

    for row in client.iter_intents(status="dead", goal="resize"):
        print(row.id, row.error)
"""


class ControlOperations:
    """Plans for searching, explaining and steering intents."""

    __slots__ = ()

    # ------------------------------------------------------------ read

    def list_intents(
        self,
        /,
        status: str | Iterable[str] | None = None,
        goal: str | None = None,
        namespace: str | None = None,
        worker: str | None = None,
        error: str | None = None,
        owner: str | None = None,
        intent_id: str | None = None,
        limit: int = protocol.INTENT_LIST_DEFAULT,
        cursor: str | None = None,
    ) -> Plan[IntentPage]:
        """One page of your intents, newest first (``IntentPage``).

        Filters combine: ``status`` (a name or a list of them: ``open``,
        ``claimed``, ``fulfilled``, ``dead``, ``cancelled``), ``goal``,
        ``namespace``, ``worker`` (the last claimer's id), ``error`` (a
        case-insensitive part of the last error), ``intent_id`` (an id or its
        prefix) and, for an admin key, ``owner``. ``limit`` is 1..200. Pass
        the page's ``next_cursor`` as ``cursor`` for the next one, or use
        ``iter_intents`` to walk them all. A bad cursor is ``IntentBusError``
        (400).
        """
        page: IntentPage = yield control_calls.list_intents(
            status=status,
            goal=goal,
            namespace=namespace,
            worker=worker,
            error=error,
            owner=owner,
            intent_id=intent_id,
            limit=limit,
            cursor=cursor,
        )
        return page

    def get_intent(self, /, intent_id: Any) -> Plan[IntentDetail]:
        """One intent in full: its row, ``payload`` and (once fulfilled)
        ``result``; ``IntentBusError`` (404) when unknown or not yours."""
        detail: IntentDetail = yield control_calls.get_intent(intent_id)
        return detail

    def intent_events(self, /, intent_id: Any) -> Plan[list[IntentEvent]]:
        """What happened to an intent, oldest first: published, claimed,
        failed, lease expired, requeued, cancel requested, cancelled,
        fulfilled, dead (``IntentEvent``). 404 when unknown or not yours."""
        events: list[IntentEvent] = yield control_calls.intent_events(intent_id)
        return events

    def explain(self, /, intent_id: Any) -> Plan[Explanation]:
        """Why an intent is not running (or how it ended): ``claimable_now``
        and ``reasons``, each with a stable ``code`` (``delayed``,
        ``backoff``, ``claimed``, ``paused``, ``no_live_worker``,
        ``capability_missing``, ``target_worker_offline``,
        ``behind_in_queue``, ``fulfilled``, ``dead``, ``cancelled``), a
        sentence and its ``details``::

            for reason in client.explain(job.id).reasons:
                print(reason.code, reason.message)
        """
        explanation: Explanation = yield control_calls.explain(intent_id)
        return explanation

    def explain_claim(
        self,
        /,
        goal: str | None = None,
        namespace: str = protocol.DEFAULT_NAMESPACE,
        worker_id: str | None = None,
        capabilities: list[str] | str | None = None,
        publisher: str | None = None,
    ) -> Plan[ClaimExplanation]:
        """Why a worker gets nothing: what ``claim`` with the same arguments
        could take (``claimable``) and, grouped by reason, what it cannot
        (``none_open``, ``delayed``, ``capability_missing``,
        ``targeted_elsewhere``, ``paused``, ``other_namespace``). Never
        claims anything."""
        explanation: ClaimExplanation = yield control_calls.explain_claim(
            goal=goal,
            namespace=namespace,
            worker_id=worker_id,
            capabilities=capabilities,
            publisher=publisher,
        )
        return explanation

    def list_workers(self, /, owner: str | None = None) -> Plan[list[WorkerInfo]]:
        """The workers the server has seen claim or renew in the last day,
        each ``live``, ``idle`` or ``gone`` with what it polls and holds."""
        workers: list[WorkerInfo] = yield control_calls.list_workers(owner)
        return workers

    def stats(self, /, owner: str | None = None) -> Plan[QueueOverview]:
        """Per namespace and goal: counts by status, the oldest waiting
        intent's age, completions per minute over the last hour, paused."""
        overview: QueueOverview = yield control_calls.stats(owner)
        return overview

    # ------------------------------------------------------------ steer

    def cancel(self, /, intent_id: Any) -> Plan[IntentRow]:
        """Cancels an intent you published (or any, with an admin key).

        An open intent is ``cancelled`` at once and never claimed again. A
        claimed one stays ``claimed`` with ``cancel_requested`` True: its
        worker learns it when it next extends the lease (``WorkerRuntime``
        tells the handler and stops renewing), and its fulfill, fail or lease
        expiry then ends it ``cancelled``. A finished intent is
        ``IntentBusError`` (409, ``conflict``); unknown or not yours, 404.
        """
        row: IntentRow = yield control_calls.cancel(intent_id)
        return row

    def requeue_intent(self, /, intent_id: Any) -> Plan[IntentRow]:
        """Reopens a ``dead`` or ``cancelled`` intent you published, with its
        attempts reset to 0; any other state is ``IntentBusError`` (409).
        Unlike ``requeue`` (the admin's dead-letter requeue) a tenant key
        may call it."""
        row: IntentRow = yield control_calls.requeue_intent(intent_id)
        return row

    def pause(
        self, /, namespace: str, goal: str | None = None, owner: str | None = None
    ) -> Plan[QueuePause]:
        """Stops claims of your intents in ``namespace`` (of ``goal`` only,
        if given) on every server replica until ``resume``; publishing still
        works. Idempotent. An admin key passes ``owner``."""
        paused: QueuePause = yield control_calls.pause(namespace, goal, owner)
        return paused

    def resume(
        self, /, namespace: str, goal: str | None = None, owner: str | None = None
    ) -> Plan[bool]:
        """Lifts the pause ``pause`` set with the same arguments, waking
        waiting workers at once; False when there was none."""
        resumed: bool = yield control_calls.resume(namespace, goal, owner)
        return resumed

    def list_pauses(self, /, owner: str | None = None) -> Plan[list[QueuePause]]:
        """The pauses in force (a ``goal`` of None pauses the namespace)."""
        pauses: list[QueuePause] = yield control_calls.list_pauses(owner)
        return pauses

    def set_limit(
        self,
        /,
        namespace: str,
        goal: str,
        max_running: int,
        max_per_key: int | None = None,
        owner: str | None = None,
    ) -> Plan[ConcurrencyLimit]:
        """Lets at most ``max_running`` of your intents of ``namespace`` and
        ``goal`` be claimed at once, across every server replica, and at most
        ``max_per_key`` of them with one ``concurrency_key`` (see ``publish``).
        Replaces the limit set before; waiting workers are woken when it
        rises. An admin key passes ``owner``::

            client.set_limit("default", "render", 3, max_per_key=1)
        """
        limit: ConcurrencyLimit = yield limits.set_limit(
            namespace, goal, max_running, max_per_key, owner
        )
        return limit

    def limits(self, /, owner: str | None = None) -> Plan[list[ConcurrencyLimit]]:
        """The concurrency limits in force, each with how many intents it
        has ``running`` now."""
        found: list[ConcurrencyLimit] = yield limits.limits(owner)
        return found

    def delete_limit(
        self, /, namespace: str, goal: str, owner: str | None = None
    ) -> Plan[None]:
        """Removes the limit of ``namespace`` and ``goal`` and wakes waiting
        workers; ``IntentBusError`` (404) when there is none."""
        yield limits.delete_limit(namespace, goal, owner)

    def requeue_many(
        self,
        /,
        goal: str | None = None,
        namespace: str | None = None,
        error_contains: str | None = None,
        owner: str | None = None,
        dry_run: bool = False,
    ) -> Plan[BulkResult]:
        """Requeues every dead intent matching the filter (``BulkResult``:
        ``matched``, ``requeued``). ``dry_run=True`` only counts them, so
        look first::

            if client.requeue_many(goal="resize", dry_run=True).matched < 100:
                client.requeue_many(goal="resize")
        """
        result: BulkResult = yield control_calls.requeue_many(
            goal, namespace, error_contains, owner, dry_run
        )
        return result

    def cancel_many(
        self,
        /,
        goal: str | None = None,
        namespace: str | None = None,
        owner: str | None = None,
        dry_run: bool = False,
    ) -> Plan[BulkResult]:
        """Cancels every open intent matching the filter (``BulkResult``:
        ``matched``, ``cancelled``); ``dry_run=True`` only counts them."""
        result: BulkResult = yield control_calls.cancel_many(
            goal, namespace, owner, dry_run
        )
        return result
