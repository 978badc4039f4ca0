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
    updated_at = excluded.updated_at;

-- name: limit_clear
-- Deletes exactly one limit.
DELETE FROM concurrency_limits
WHERE owner = :owner
  AND namespace = :namespace
  AND goal = :goal
RETURNING owner;

-- name: limit_list
-- Lists the limits of one owner (or all) with their running counts.
SELECT l.owner, l.namespace, l.goal, l.max_running, l.max_per_key, l.updated_at,
       (SELECT COUNT(*) FROM intents r WHERE r.owner = l.owner AND r.goal = l.goal
        AND r.namespace = l.namespace AND r.status = 'claimed') AS running
FROM concurrency_limits l
WHERE :owner IS NULL OR l.owner = :owner
ORDER BY l.owner, l.namespace, l.goal;

-- name: limit_running
-- Counts the claimed intents of each limited group of one owner (or all) by key.
SELECT l.owner, l.namespace, l.goal, r.concurrency_key, COUNT(*) AS running
FROM concurrency_limits l
JOIN intents r
  ON r.owner = l.owner
 AND r.goal = l.goal
 AND r.namespace = l.namespace
 AND r.status = 'claimed'
WHERE :owner IS NULL OR l.owner = :owner
GROUP BY l.owner, l.namespace, l.goal, r.concurrency_key;

-- name: limit_exists
-- Whether an intent's group has a limit: its completion frees a slot then.
SELECT 1
FROM concurrency_limits
WHERE owner = :owner
  AND namespace = :namespace
  AND goal = :goal;
