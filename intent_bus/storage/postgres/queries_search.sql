-- Intent search (GET /intents): each walk reads the short columns the filters
-- need, newest first, from the index of its leading filter, at most :scan rows
-- older than the cursor (:before); storage/search.py checks the other filters
-- on those rows and the page is then read in full by seq.

-- name: intent_search_all
-- Walks every tenant's intents newest first (an admin without owner=).
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM intents
WHERE seq < :before
ORDER BY seq DESC
LIMIT :scan

-- name: intent_search_owner
-- Walks one tenant's intents newest first.
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM intents
WHERE owner = :owner
  AND seq < :before
ORDER BY seq DESC
LIMIT :scan

-- name: intent_search_owner_status
-- Walks one tenant's intents of one status newest first.
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM intents
WHERE owner = :owner
  AND status = :status
  AND seq < :before
ORDER BY seq DESC
LIMIT :scan

-- name: intent_search_owner_goal
-- Walks one tenant's intents of one goal newest first.
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM intents
WHERE owner = :owner
  AND goal = :goal
  AND seq < :before
ORDER BY seq DESC
LIMIT :scan

-- name: intent_search_owner_namespace
-- Walks one tenant's intents in one namespace newest first.
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM intents
WHERE owner = :owner
  AND namespace = :namespace
  AND seq < :before
ORDER BY seq DESC
LIMIT :scan

-- name: intent_search_owner_worker
-- Walks one tenant's intents last claimed by one worker newest first.
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM intents
WHERE owner = :owner
  AND worker_id = :worker_id
  AND seq < :before
ORDER BY seq DESC
LIMIT :scan

-- name: intent_search_id
-- Walks the intents whose id starts with a prefix ([:id_from, :id_to) in byte
-- order), at most :scan of them in id order, then newest first.
SELECT seq, id, owner, status, goal, namespace, worker_id, error
FROM (
    SELECT seq, id, owner, status, goal, namespace, worker_id, error
    FROM intents
    WHERE id COLLATE "C" >= :id_from
      AND id COLLATE "C" < :id_to
      AND seq < :before
    ORDER BY id COLLATE "C"
    LIMIT :scan
) AS prefixed
ORDER BY seq DESC

-- name: intent_search_fetch
-- Reads a page of intents in full, newest first.
SELECT *
FROM intents
WHERE seq = ANY(CAST(:seqs AS BIGINT[]))
ORDER BY seq DESC
