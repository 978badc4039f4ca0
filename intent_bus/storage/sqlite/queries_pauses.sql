-- Pauses (POST /pause, /resume, GET /pauses). A pause of a whole namespace is
-- stored with goal '' (a key column cannot be NULL); claims skip the paused
-- intents (see intent_claim).

-- name: pause_set
-- Pauses a namespace or one goal of it; pausing again keeps the first paused_at.
INSERT INTO pauses (owner, namespace, goal, paused_at)
VALUES (:owner, :namespace, :goal, :now)
ON CONFLICT (owner, namespace, goal) DO UPDATE
SET paused_at = pauses.paused_at
RETURNING owner, namespace, goal, paused_at;

-- name: pause_clear
-- Lifts exactly one pause.
DELETE FROM pauses
WHERE owner = :owner
  AND namespace = :namespace
  AND goal = :goal
RETURNING owner;

-- name: pause_list
-- Lists the pauses of one owner (or all), oldest first.
SELECT owner, namespace, goal, paused_at
FROM pauses
WHERE :owner IS NULL OR owner = :owner
ORDER BY paused_at, owner, namespace, goal;
