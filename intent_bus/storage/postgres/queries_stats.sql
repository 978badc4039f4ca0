-- GET /stats: intents per (owner, namespace, goal) by status, the oldest open
-- one, and completions per minute over the last hour.

-- name: intent_group_counts_all
-- Counts every tenant's intents per group and status (one covering index scan).
SELECT owner, namespace, goal, status, COUNT(*) AS n, MIN(created_at) AS oldest
FROM intents
GROUP BY owner, goal, namespace, status

-- name: intent_group_counts_owner
-- Counts one tenant's intents per group and status.
SELECT owner, namespace, goal, status, COUNT(*) AS n, MIN(created_at) AS oldest
FROM intents
WHERE owner = :owner
GROUP BY owner, goal, namespace, status

-- name: intent_group_completions
-- Counts intents fulfilled since :since per group and minute (0 = the oldest).
SELECT owner, namespace, goal, CAST(FLOOR((completed_at - :since) / 60) AS INTEGER) AS minute, COUNT(*) AS n
FROM intents
WHERE completed_at IS NOT NULL
  AND completed_at >= :since
  AND status = 'fulfilled'
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
GROUP BY owner, namespace, goal, minute
