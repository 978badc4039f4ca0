"""The storage seam: the `Store` protocol (its records live in `records`).

Every method is one transaction with one guarantee, stated in its docstring.
Time is always passed in (`now`, Unix seconds as float) so that lease expiry,
backoff and retention are testable without sleeping. Business arithmetic (backoff
delays, lease lengths, tokens) is computed by the caller and passed in, except
where it must happen inside the transaction; then a pure function is passed in.

Payloads, results and KV values cross this seam as JSON-encoded bytes: the server
validated and encoded them once, and the store keeps them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from intent_bus.storage.batches import (
    Completion,
    CompletionOutcome,
    Polled,
    PublishItem,
    PublishOutcome,
)
from intent_bus.storage.group_stats import GroupStats
from intent_bus.storage.limits import ConcurrencyLimit, LimitUsage
from intent_bus.storage.records import (
    ApiKey,
    BulkFilter,
    ClaimQuery,
    FirePlan,
    Firing,
    Idempotency,
    Intent,
    IntentEvent,
    IntentPage,
    IntentProgress,
    IntentStatusName,
    Lease,
    NewIntent,
    Pause,
    PlainBox,
    Poll,
    ProgressReport,
    QueueStats,
    RetryDelay,
    Role,
    Schedule,
    SecretBox,
    StoredResponse,
    Tick,
    TickIntent,
    Work,
    work_of,
)
from intent_bus.storage.search import IntentFilter
from intent_bus.storage.workers import WorkerRecord, WorkerSighting

__all__ = [
    "ApiKey",
    "BulkFilter",
    "ClaimQuery",
    "Completion",
    "CompletionOutcome",
    "FirePlan",
    "Firing",
    "Idempotency",
    "Intent",
    "IntentEvent",
    "IntentPage",
    "IntentProgress",
    "IntentStatusName",
    "Lease",
    "NewIntent",
    "Pause",
    "PlainBox",
    "Poll",
    "Polled",
    "ProgressReport",
    "PublishItem",
    "PublishOutcome",
    "QueueStats",
    "RetryDelay",
    "Role",
    "Schedule",
    "SecretBox",
    "Store",
    "StoredResponse",
    "Tick",
    "TickIntent",
    "Work",
    "work_of",
]


class Store(Protocol):
    """The one interface every storage backend implements."""

    async def start(self) -> None:
        """Connects and applies pending migrations; safe when replicas race."""

    async def close(self) -> None:
        """Releases connections; pending acknowledged writes are durable."""

    def on_work(self, callback: Callable[[Work | None], None]) -> None:
        """Registers a callback for work made available by another process, or
        by a lease of a concurrency-limited group ending in any process; it gets
        the work, or None when unknown (wake every waiter once)."""

    # -- keys -------------------------------------------------------------
    async def key_create(self, key: ApiKey) -> None:
        """Stores a new key; raises Conflict if its id or secret exists."""

    async def key_get(self, secret: str) -> ApiKey | None:
        """Returns the key with that secret (revoked ones included), or None."""

    async def key_list(self, role: Role | None = None) -> list[ApiKey]:
        """Returns keys, oldest first, optionally of one role."""

    async def key_revoke(self, key_id: str, now: float) -> ApiKey:
        """Marks a key revoked; raises NotFound for an unknown id."""

    # -- secrets at rest --
    async def key_seal(self) -> int:
        """Seals, in one transaction, every key still kept in plaintext (from
        before secrets were sealed) with the store's box; returns how many.
        Listing keys opens every sealed secret, so it also proves the box fits."""

    async def key_reseal(self, box: SecretBox) -> int:
        """Re-seals every key with `box` (key-encryption key rotation) in one
        transaction, then keeps using `box`; returns how many keys."""

    # -- request replay and rate protection --------------------------------
    defers_nonces: bool
    """Whether the store records a nonce left by `replay.defer` inside the
    current request's first operation, in its transaction (see `replay`)."""

    async def nonce_remember(self, key_id: str, nonce: str, now: float) -> bool:
        """Records a nonce; returns False if that key used it already."""

    async def nonce_purge(self, before: float) -> int:
        """Deletes nonces first seen before `before`; returns how many."""

    async def rate_hit(self, key_id: str, window_start: float) -> int:
        """Counts one request in the key's window; returns the window's count."""

    # -- intents ----------------------------------------------------------
    async def intent_publish(
        self, intent: NewIntent, idempotency: Idempotency | None, now: float
    ) -> StoredResponse | None:
        """Inserts the intent, or replays: returns the recorded response when the
        idempotency key was used with the same body hash, raises Conflict when it
        was used with another, and returns None when the intent was inserted."""

    async def intent_claim(
        self, query: ClaimQuery, lease: Lease, now: float
    ) -> Intent | None:
        """Leases the best eligible intent (priority desc, run_at, insertion
        order) and counts the attempt, or returns None."""

    async def intent_poll(self, query: ClaimQuery, lease: Lease, now: float) -> Poll:
        """Claims as `intent_claim` does, with the checkpoint the intent's
        earlier lease holders saved, and, when nothing is eligible, finds the
        next due time instead, in the same transaction: an empty long-poll
        round is one store call."""

    async def intent_fulfill(
        self,
        intent_id: str,
        claim_token: str,
        result: bytes | None,
        result_type: str,
        now: float,
        *,
        owner: str | None = None,
    ) -> Intent:
        """Completes a leased intent with its result (or `cancelled`, without
        it, when a cancel was requested); raises LeaseLost unless the token
        holds a live lease claimed by `owner` (any owner when None).

        Retry-safe: when that token already fulfilled this intent with the same
        result, returns the intent as that completion left it (until the intent
        is claimed again); any other completion by it raises LeaseLost."""

    async def intent_fail(
        self,
        intent_id: str,
        claim_token: str,
        error: str,
        retry_delay: RetryDelay,
        now: float,
        *,
        owner: str | None = None,
    ) -> Intent:
        """Reopens a leased intent after `retry_delay`, or kills it when its
        attempts are spent (or cancels it when a cancel was requested); raises
        LeaseLost unless the token holds a live lease claimed by `owner`.

        Retry-safe like `intent_fulfill`: the same token failing again with the
        same error gets the intent as its first fail left it, until the intent
        is claimed again; any other completion by that token raises LeaseLost."""

    async def intent_extend(
        self,
        intent_id: str,
        claim_token: str,
        expires_at: float,
        now: float,
        *,
        owner: str | None = None,
        report: ProgressReport | None = None,
    ) -> Intent:
        """Moves a live lease's expiry and saves the holder's `report` with it;
        raises LeaseLost, changing nothing, unless the token holds the lease
        and `owner` (when given) claimed it."""

    async def intent_progress_get(self, intent_id: str) -> IntentProgress | None:
        """What the intent's lease holders last reported, or None. Fulfilling
        the intent clears it; a fail, death, cancel or requeue keeps it, and
        purging the intent removes it."""

    # -- batches: the single operations repeated in one transaction ------------
    async def intent_publish_many(
        self, items: Sequence[PublishItem], now: float
    ) -> list[PublishOutcome]:
        """Publishes each item as `intent_publish` would, all in one
        transaction; an item's outcome is None (inserted), the replayed
        response, or the Conflict it met (an idempotency key used with another
        body, also by an earlier item of the batch), in item order."""

    async def intent_poll_many(
        self, query: ClaimQuery, leases: Sequence[Lease], now: float
    ) -> Polled:
        """Claims as `intent_claim` does once per lease, in one transaction,
        stopping at the first that finds nothing; when none found anything,
        also the next due time, as `intent_poll`."""

    async def intent_complete_many(
        self,
        completions: Sequence[Completion],
        retry_delay: RetryDelay,
        now: float,
        *,
        owner: str | None = None,
    ) -> list[CompletionOutcome]:
        """Fulfills or fails each item as `intent_fulfill` and `intent_fail`
        would (retry-safe alike), in one transaction; an item's outcome is the
        intent as it left it or the LeaseLost it met, in item order."""

    async def intent_get(self, intent_id: str, now: float) -> Intent | None:
        """Returns the intent, first settling its lease if that has expired."""

    async def intent_reap(self, now: float) -> int:
        """Reopens (or kills, when attempts are spent) intents whose lease
        expired; returns how many."""

    async def intent_purge(self, before: float) -> int:
        """Deletes terminal intents completed before `before`; returns how many."""

    async def intent_stats(self, now: float) -> QueueStats:
        """Returns counts of intents by status and namespace."""

    async def intent_list_dead(
        self, owner: str | None, namespace: str | None, limit: int
    ) -> list[Intent]:
        """Returns dead intents, most recently completed first."""

    async def intent_requeue(self, intent_id: str, now: float) -> Intent:
        """Reopens a dead intent with fresh attempts; raises NotFound unless it
        exists and is dead."""

    # -- control writes ------------------------------------------------------
    async def intent_cancel(
        self, intent_id: str, owner: str | None, now: float
    ) -> Intent:
        """Cancels an intent of `owner` (any owner when None): an open one is
        `cancelled` at once; a claimed one gets `cancel_requested`, and its
        holder's completion or lease expiry then ends it cancelled (asking
        twice is harmless). Raises NotFound when the caller cannot see it and
        Conflict when it is terminal already."""

    async def intent_reopen(
        self, intent_id: str, owner: str | None, now: float
    ) -> Intent:
        """Reopens a dead or cancelled intent of `owner` (any when None) with
        fresh attempts, due now. Raises NotFound when the caller cannot see it
        and Conflict when it is in another state."""

    async def intent_bulk_count(self, match: BulkFilter) -> int:
        """Counts the intents the filter matches."""

    async def intent_bulk_step(
        self,
        action: Literal["requeue", "cancel"],
        match: BulkFilter,
        now: float,
        limit: int,
    ) -> int:
        """One batch of a bulk action, in one transaction: requeues (dead) or
        cancels (open) up to `limit` matching intents, as `intent_reopen` and
        `intent_cancel` would; returns how many. The caller repeats until a
        batch comes back short, so other writes interleave between batches."""

    # -- events ---------------------------------------------------------------
    async def intent_events(
        self, intent_id: str, owner: str | None
    ) -> list[IntentEvent] | None:
        """The intent's timeline, oldest first, or None when the caller (`owner`,
        None for the admin) cannot see it. Every write that changes an intent's
        status records its event in the same statement, and purging the intent
        removes its events."""

    async def idempotency_purge(self, before: float) -> int:
        """Deletes idempotency records created before `before`; returns how many."""

    # -- key-value store ----------------------------------------------------
    async def kv_set(
        self, owner: str, key: str, value: bytes, expires_at: float, now: float
    ) -> None:
        """Stores a value for the owner, replacing any earlier one."""

    async def kv_get(self, owner: str, key: str, now: float) -> bytes | None:
        """Returns the owner's live value for the key, or None."""

    async def kv_purge(self, now: float) -> int:
        """Deletes expired entries; returns how many."""

    # -- control reads: search, pauses --------------------------------------
    async def intent_search(self, search: IntentFilter, limit: int) -> IntentPage:
        """Returns up to `limit` intents matching the filter, newest first,
        walking one index and examining a bounded number of rows (see
        storage/search.py), so a page costs the same with any history."""

    async def pause_set(
        self, owner: str, namespace: str, goal: str | None, now: float
    ) -> Pause:
        """Pauses claims of the owner's intents in a namespace (or one goal of
        it); idempotent: pausing again keeps the first paused_at."""

    async def pause_clear(self, owner: str, namespace: str, goal: str | None) -> bool:
        """Lifts that pause (exactly that one) and announces the work it frees
        to every replica; returns whether it existed."""

    async def pause_list(self, owner: str | None) -> list[Pause]:
        """Returns the pauses of one owner (None: all), oldest first."""

    # -- concurrency limits --------------------------------------------------
    async def limit_set(
        self,
        owner: str,
        namespace: str,
        goal: str,
        max_running: int,
        max_per_key: int | None,
        now: float,
    ) -> ConcurrencyLimit:
        """Sets or replaces the limit on the owner's claimed intents of that
        namespace and goal, announces it to every replica (a raised limit lets
        waiting work run), and returns it with its running count."""

    async def limit_clear(self, owner: str, namespace: str, goal: str) -> None:
        """Deletes that limit and announces it; raises NotFound if none."""

    async def limit_list(self, owner: str | None) -> list[ConcurrencyLimit]:
        """Returns the limits of one owner (None: all) with running counts."""

    async def limit_usage(self, owner: str | None) -> LimitUsage:
        """Returns the limits of one owner (None: all) with their claimed
        intents counted per group and per key, read in one snapshot."""

    async def intent_group_stats(
        self, owner: str | None, now: float
    ) -> list[GroupStats]:
        """Returns per (owner, namespace, goal) of one owner (None: all) the
        counts by status, the oldest open intent and the completions per minute
        of the last hour; read from counters kept by the writes themselves, so
        in O(groups) however long the history."""

    async def intent_counts_fold(self, now: float) -> int:
        """Folds the count changes writers appended into the counters (a
        backend whose writers update the counters in place has none) and
        forgets completions past the window; returns the changes folded. Run by
        housekeeping on every pass; replicas may run it at once."""

    # -- control reads: workers registry --------------------------------------
    async def worker_seen(self, sighting: WorkerSighting, now: float) -> None:
        """Records a claim by a worker: last seen now, its capabilities and
        client, the goal and namespace added to those it polls."""

    async def worker_list(
        self, owner: str | None, since: float, now: float
    ) -> list[WorkerRecord]:
        """Returns workers of one claiming tenant (None: all) seen since
        `since`, most recent first, each with its live leases at `now`."""

    async def worker_purge(self, before: float) -> int:
        """Deletes workers last seen before `before`; returns how many."""

    # -- control reads: explain ----------------------------------------------
    async def intent_ahead(self, intent_id: str, now: float) -> int:
        """Counts the due open intents a worker of the intent's tenant in its
        namespace would be given first (its tenant's private ones there, and
        public ones), in claim order."""

    async def intent_open_public(self, limit: int) -> list[Intent]:
        """Returns up to `limit` open public intents, in claim order."""

    # -- schedules --------------------------------------------------------------
    async def schedule_put(self, schedule: Schedule) -> bool:
        """Creates the owner's schedule or replaces its definition (keeping
        created_at and the last tick); returns True when it was created."""

    async def schedule_get(self, owner: str, name: str) -> Schedule | None:
        """Returns the owner's schedule of that name, or None."""

    async def schedule_list(self, owner: str | None) -> list[Schedule]:
        """Returns the owner's schedules (everyone's for None), by owner, name."""

    async def schedule_delete(self, owner: str, name: str) -> None:
        """Deletes the schedule and its tick records; raises NotFound."""

    async def schedule_fire(self, plan: FirePlan, limit: int, now: float) -> list[Tick]:
        """Fires up to `limit` unpaused schedules due at `now`: for each, in one
        transaction, records each tick `plan` returns and publishes its intent
        unless the tick was recorded before (never twice), and advances
        next_fire_at. Schedules another replica is firing are skipped."""

    async def schedule_trigger(
        self, owner: str, name: str, build: TickIntent, now: float
    ) -> Tick:
        """Publishes one tick scheduled for `now` at once, whatever the cron,
        pause or overlap; raises NotFound, or Conflict if that tick exists."""

    async def schedule_tick_of(self, intent_id: str) -> Tick | None:
        """Returns the tick that published the intent, or None."""

    async def schedule_tick_purge(self, before: float) -> int:
        """Deletes tick records fired before `before`; returns how many."""
