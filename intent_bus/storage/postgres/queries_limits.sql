-- Concurrency limits (PUT, GET, DELETE /limits). Claims skip an intent whose
-- limit is reached (see intent_candidate_*); running counts walk an owner's claimed rows
-- (intents_search_owner_status).

-- name: limit_set
-- Sets (or changes) the limit of one owner's namespace and goal.
INSERT INTO concurrency_limits (
    owner, namespace, goal, max_running, max_per_key, created_at, updated_at
)
VALUES (:owner, :namespace, :goal, :max_running, :max_per_key, :now, :now)
ON CONFLICT (owner, namespace, goal) DO UPDATE
SET max_running = excluded.max_running,
    max_per_key = excluded.max_per_key,
    updated_at = excluded.updated_at

-- name: limit_clear
-- Deletes exactly one limit.
DELETE FROM concurrency_limits
WHERE owner = :owner
  AND namespace = :namespace
  AND goal = :goal
RETURNING owner

-- name: limit_list
-- Lists the limits of one owner (or all) with their running counts.
SELECT l.owner, l.namespace, l.goal, l.max_running, l.max_per_key, l.updated_at,
       (SELECT COUNT(*) FROM intents r WHERE r.owner = l.owner AND r.goal = l.goal
        AND r.namespace = l.namespace AND r.status = 'claimed') AS running
FROM concurrency_limits l
WHERE CAST(:owner AS TEXT) IS NULL OR l.owner = :owner
ORDER BY l.owner, l.namespace, l.goal

-- name: limit_running
-- Counts the claimed intents of each limited group of one owner (or all) by key.
SELECT l.owner, l.namespace, l.goal, r.concurrency_key, COUNT(*) AS running
FROM concurrency_limits l
JOIN intents r
  ON r.owner = l.owner
 AND r.goal = l.goal
 AND r.namespace = l.namespace
 AND r.status = 'claimed'
WHERE CAST(:owner AS TEXT) IS NULL OR l.owner = :owner
GROUP BY l.owner, l.namespace, l.goal, r.concurrency_key

-- name: limit_freed_notify
-- Wakes every replica's claimers when a lease of a limited group ended: a slot
-- is free. The origin is no process's, so the sender's listener hears it too.
SELECT pg_notify('intent_bus_work', :freed_origin)
FROM concurrency_limits
WHERE owner = :owner
  AND namespace = :namespace
  AND goal = :goal

-- name: limit_lock_for_claim
-- Locks, in one order, every limit a claim with these filters could meet, so
-- that claims of limited groups count running intents one at a time.
SELECT owner
FROM concurrency_limits
WHERE (CAST(:goal AS TEXT) IS NULL OR goal = :goal)
  AND (CAST(:publisher AS TEXT) IS NULL OR owner = :publisher)
ORDER BY owner, namespace, goal
FOR UPDATE

-- name: intent_claim_limited
-- Leases the best eligible intent, concurrency limits counted: the second look
-- of a claim whose best intent has a limit, run after limit_lock_for_claim so
-- the counts are exact (READ COMMITTED: this statement's snapshot is taken after
-- the lock, so it sees every claim committed under it). Otherwise as intent_claim.
WITH private_candidate AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND run_at <= :now
      AND (CAST(:goal AS TEXT) IS NULL OR goal = :goal)
      AND (CAST(:publisher AS TEXT) IS NULL OR owner = :publisher)
      AND {{worker_can_take}}
      AND {{not_paused}}
      AND {{under_limit}}
    ORDER BY priority DESC, run_at, seq
    LIMIT 1
    FOR UPDATE SKIP LOCKED
),
public_candidate AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND run_at <= :now
      AND (CAST(:goal AS TEXT) IS NULL OR goal = :goal)
      AND (CAST(:publisher AS TEXT) IS NULL OR owner = :publisher)
      AND {{worker_can_take}}
      AND {{not_paused}}
      AND {{under_limit}}
    ORDER BY priority DESC, run_at, seq
    LIMIT 1
    FOR UPDATE SKIP LOCKED
),
best AS (
    SELECT seq
    FROM (
        SELECT * FROM private_candidate
        UNION ALL
        SELECT * FROM public_candidate
    ) AS candidates
    ORDER BY priority DESC, run_at, seq
    LIMIT 1
)
UPDATE intents
SET {{lease_granted from=:}}
FROM best
WHERE intents.seq = best.seq
RETURNING intents.*,
    {{saved_checkpoint}}
