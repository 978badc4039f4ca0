-- GET /stats: intents per (owner, namespace, goal) by status, the oldest open
-- one, and completions per minute over the last hour. Read from the counters of
-- migration 0009 plus the changes not folded into them yet (O(groups + changes
-- since the last housekeeping pass)), never from the history.

-- fragment: oldest_open_of_group
-- When the oldest open intent of group `c` was created: the first entry of
-- its range in intents_open_age (null when none is open).
(
    SELECT i.created_at
    FROM intents AS i
    WHERE i.owner = c.owner AND i.namespace = c.namespace AND i.goal = c.goal
      AND i.status = 'open'
    ORDER BY i.created_at
    LIMIT 1
)

-- name: intent_group_counts_all
-- Every tenant's counts per group and status; an open count also finds the
-- group's oldest open intent, the first of its range in intents_open_age.
WITH counted AS (
    SELECT owner, namespace, goal, status, CAST(SUM(n) AS BIGINT) AS n
    FROM (
        SELECT owner, namespace, goal, status, n FROM intent_counts
        UNION ALL
        SELECT owner, namespace, goal, entered_status, n
        FROM intent_count_changes WHERE entered_status IS NOT NULL
        UNION ALL
        SELECT owner, namespace, goal, left_status, -n
        FROM intent_count_changes WHERE left_status IS NOT NULL
    ) AS moves
    GROUP BY owner, namespace, goal, status
    HAVING SUM(n) <> 0
)
SELECT c.owner, c.namespace, c.goal, c.status, c.n,
       CASE WHEN c.status = 'open' THEN {{oldest_open_of_group}} END AS oldest
FROM counted AS c

-- name: intent_group_counts_owner
-- One tenant's counts per group and status, as above.
WITH counted AS (
    SELECT owner, namespace, goal, status, CAST(SUM(n) AS BIGINT) AS n
    FROM (
        SELECT owner, namespace, goal, status, n FROM intent_counts
        WHERE owner = :owner
        UNION ALL
        SELECT owner, namespace, goal, entered_status, n
        FROM intent_count_changes WHERE entered_status IS NOT NULL AND owner = :owner
        UNION ALL
        SELECT owner, namespace, goal, left_status, -n
        FROM intent_count_changes WHERE left_status IS NOT NULL AND owner = :owner
    ) AS moves
    GROUP BY owner, namespace, goal, status
    HAVING SUM(n) <> 0
)
SELECT c.owner, c.namespace, c.goal, c.status, c.n,
       CASE WHEN c.status = 'open' THEN {{oldest_open_of_group}} END AS oldest
FROM counted AS c

-- name: intent_group_completions_all
-- Intents fulfilled since :since (a minute's start) per group: one row per
-- group, its minutes as a JSON array of [minute (0 = the oldest), n] (parsed
-- in C, not built row by row in Python).
SELECT owner, namespace, goal,
       CAST(json_agg(json_build_array(minute, n)) AS TEXT) AS minutes
FROM (
    SELECT owner, namespace, goal,
           CAST(minute - FLOOR(:since / 60) AS INTEGER) AS minute,
           SUM(n) AS n
    FROM (
        SELECT minute, owner, namespace, goal, n FROM intent_completions
        WHERE minute >= FLOOR(:since / 60)
        UNION ALL
        SELECT entered_minute, owner, namespace, goal, n FROM intent_count_changes
        WHERE entered_minute >= FLOOR(:since / 60)
        UNION ALL
        SELECT left_minute, owner, namespace, goal, -n FROM intent_count_changes
        WHERE left_minute >= FLOOR(:since / 60)
    ) AS done
    GROUP BY owner, namespace, goal, minute
    HAVING SUM(n) <> 0
) AS per_minute
GROUP BY owner, namespace, goal

-- name: intent_group_completions_owner
-- One tenant's, as above.
SELECT owner, namespace, goal,
       CAST(json_agg(json_build_array(minute, n)) AS TEXT) AS minutes
FROM (
    SELECT owner, namespace, goal,
           CAST(minute - FLOOR(:since / 60) AS INTEGER) AS minute,
           SUM(n) AS n
    FROM (
        SELECT minute, owner, namespace, goal, n FROM intent_completions
        WHERE minute >= FLOOR(:since / 60) AND owner = :owner
        UNION ALL
        SELECT entered_minute, owner, namespace, goal, n FROM intent_count_changes
        WHERE entered_minute >= FLOOR(:since / 60) AND owner = :owner
        UNION ALL
        SELECT left_minute, owner, namespace, goal, -n FROM intent_count_changes
        WHERE left_minute >= FLOOR(:since / 60) AND owner = :owner
    ) AS done
    GROUP BY owner, namespace, goal, minute
    HAVING SUM(n) <> 0
) AS per_minute
GROUP BY owner, namespace, goal

-- name: intent_counts_fold_lock
-- Whether this replica folds now: one at a time, the others skip.
SELECT pg_try_advisory_xact_lock(:lock_id) AS locked

-- name: intent_counts_fold
-- Moves the changes appended so far into the counters, in one statement: a
-- reader sees them either still as changes or already counted, never both.
-- Changes of minutes before :minute are past the window and only dropped.
WITH taken AS (
    DELETE FROM intent_count_changes
    RETURNING owner, namespace, goal, left_status, entered_status,
              left_minute, entered_minute, n
),
counted AS (
    INSERT INTO intent_counts AS c (owner, namespace, goal, status, n)
    SELECT owner, namespace, goal, status, SUM(n)
    FROM (
        SELECT owner, namespace, goal, entered_status AS status, n
        FROM taken WHERE entered_status IS NOT NULL
        UNION ALL
        SELECT owner, namespace, goal, left_status, -n
        FROM taken WHERE left_status IS NOT NULL
    ) AS moves
    GROUP BY owner, namespace, goal, status
    ON CONFLICT (owner, namespace, goal, status) DO UPDATE SET n = c.n + EXCLUDED.n
),
finished AS (
    INSERT INTO intent_completions AS f (minute, owner, namespace, goal, n)
    SELECT minute, owner, namespace, goal, SUM(n)
    FROM (
        SELECT entered_minute AS minute, owner, namespace, goal, n
        FROM taken WHERE entered_minute >= :minute
        UNION ALL
        SELECT left_minute, owner, namespace, goal, -n
        FROM taken WHERE left_minute >= :minute
    ) AS done
    GROUP BY minute, owner, namespace, goal
    ON CONFLICT (minute, owner, namespace, goal) DO UPDATE SET n = f.n + EXCLUDED.n
)
SELECT COUNT(*) AS folded FROM taken

-- name: intent_counts_forget
-- Forgets completions of minutes before :minute.
DELETE FROM intent_completions
WHERE minute < :minute

-- name: intent_counts_forget_zero
-- Forgets counters left at zero (a group whose intents all went).
DELETE FROM intent_counts
WHERE n = 0

-- name: intent_stats
-- Counts of intents per namespace and status, counted and not folded yet.
SELECT namespace, status, CAST(SUM(n) AS BIGINT) AS n
FROM (
    SELECT namespace, status, n FROM intent_counts
    UNION ALL
    SELECT namespace, entered_status, n
    FROM intent_count_changes WHERE entered_status IS NOT NULL
    UNION ALL
    SELECT namespace, left_status, -n
    FROM intent_count_changes WHERE left_status IS NOT NULL
) AS moves
GROUP BY namespace, status
HAVING SUM(n) <> 0

-- name: intent_oldest_open
-- Creation time of the oldest open intent: the oldest of each group that has
-- had open intents (a group without one adds nothing).
SELECT MIN({{oldest_open_of_group}}) AS oldest
FROM (
    SELECT owner, namespace, goal FROM intent_counts WHERE status = 'open'
    UNION
    SELECT owner, namespace, goal FROM intent_count_changes
    WHERE entered_status = 'open'
) AS c
