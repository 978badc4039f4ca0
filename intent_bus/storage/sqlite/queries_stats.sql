-- GET /stats: intents per (owner, namespace, goal) by status, the oldest open
-- one, and completions per minute over the last hour. Read from the counters
-- migration 0009's triggers keep (O(groups)), never from the history.

-- fragment: oldest_open_of_group
-- When the oldest open intent of group `c` was created: the first entry of
-- its range in intents_open_age (null when none is open).
(
    SELECT i.created_at
    FROM intents AS i INDEXED BY intents_open_age
    WHERE i.owner = c.owner AND i.namespace = c.namespace AND i.goal = c.goal
      AND i.status = 'open'
    ORDER BY i.created_at
    LIMIT 1
)

-- name: intent_group_counts_all
-- Every tenant's counts per group and status; an open count also finds the
-- group's oldest open intent, the first of its range in intents_open_age.
SELECT c.owner, c.namespace, c.goal, c.status, c.n,
       CASE WHEN c.status = 'open' THEN {{oldest_open_of_group}} END AS oldest
FROM intent_counts AS c
WHERE c.n <> 0;

-- name: intent_group_counts_owner
-- One tenant's counts per group and status, as above.
SELECT c.owner, c.namespace, c.goal, c.status, c.n,
       CASE WHEN c.status = 'open' THEN {{oldest_open_of_group}} END AS oldest
FROM intent_counts AS c
WHERE c.owner = :owner
  AND c.n <> 0;

-- name: intent_group_completions_all
-- Intents fulfilled since :since (a minute's start) per group: one row per
-- group, its minutes as a JSON array of [minute (0 = the oldest), n] (parsed
-- in C, not built row by row in Python). The table holds two hours at most.
SELECT owner, namespace, goal,
       json_group_array(json_array(minute - CAST(:since / 60 AS INTEGER), n)) AS minutes
FROM intent_completions
WHERE minute >= CAST(:since / 60 AS INTEGER)
  AND n <> 0
GROUP BY owner, namespace, goal;

-- name: intent_group_completions_owner
-- One tenant's, as above.
SELECT owner, namespace, goal,
       json_group_array(json_array(minute - CAST(:since / 60 AS INTEGER), n)) AS minutes
FROM intent_completions
WHERE owner = :owner
  AND minute >= CAST(:since / 60 AS INTEGER)
  AND n <> 0
GROUP BY owner, namespace, goal;

-- name: intent_counts_forget
-- Forgets completions of minutes before :minute and counters left at zero.
DELETE FROM intent_completions
WHERE minute < :minute;

-- name: intent_counts_forget_zero
DELETE FROM intent_counts
WHERE n = 0;

-- name: intent_stats
-- Counts intents by namespace and status.
SELECT namespace, status, SUM(n) AS n
FROM intent_counts
GROUP BY namespace, status
HAVING SUM(n) <> 0;

-- name: intent_oldest_open
-- Returns the creation time of the oldest open intent: the oldest of each group.
SELECT MIN({{oldest_open_of_group}})
FROM intent_counts AS c
WHERE c.status = 'open'
  AND c.n > 0;
