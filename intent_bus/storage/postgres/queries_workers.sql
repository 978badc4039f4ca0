-- The workers registry (GET /workers): one row per (claiming tenant, X-Worker-ID).
-- Goals, namespaces and capabilities are JSON arrays of text.

-- name: worker_get
-- Reads one worker's row, to merge a new sighting into it.
SELECT owner, worker_id, capabilities, goals, namespaces, client_version, last_seen
FROM workers
WHERE owner = :owner
  AND worker_id = :worker_id

-- name: worker_upsert
-- Records a sighting (the caller merged the lists).
INSERT INTO workers (
    owner, worker_id, capabilities, goals, namespaces, client_version, last_seen
)
VALUES (
    :owner, :worker_id, :capabilities, :goals, :namespaces, :client_version, :now
)
ON CONFLICT (owner, worker_id) DO UPDATE
SET capabilities = excluded.capabilities,
    goals = excluded.goals,
    namespaces = excluded.namespaces,
    client_version = excluded.client_version,
    last_seen = excluded.last_seen

-- name: worker_list
-- Lists workers of one owner (or all) seen since a time, most recent first.
SELECT owner, worker_id, capabilities, goals, namespaces, client_version, last_seen
FROM workers
WHERE last_seen >= :since
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
ORDER BY last_seen DESC, owner, worker_id

-- name: worker_leases
-- Counts live leases per claiming worker id (and the leased intents' owner and
-- visibility, so a tenant's worker is credited only with intents it could see).
SELECT worker_id, owner, visibility, COUNT(*) AS n
FROM intents
WHERE status = 'claimed'
  AND lease_expires_at > :now
  AND worker_id IS NOT NULL
GROUP BY worker_id, owner, visibility

-- name: worker_purge
-- Deletes a batch of workers last seen before a time.
DELETE FROM workers
WHERE (owner, worker_id) IN (
    SELECT owner, worker_id
    FROM workers
    WHERE last_seen < :before
    LIMIT :limit
)
