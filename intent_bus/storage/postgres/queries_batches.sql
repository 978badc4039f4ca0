-- Batch claims and batch fails on PostgreSQL (PostgresBatches.intent_poll_many,
-- PostgresBatches.intent_complete_many).

-- name: intent_claim_many
-- Leases up to :max eligible intents in one statement, best first, each with
-- its own lease from the arrays (:claim_tokens, :lease_expires_ats,
-- :worker_ids, matched by position): the candidates are intent_claim's, up to
-- :max of each shape, locked with SKIP LOCKED. Stops before the first intent
-- with a concurrency limit (the caller claims the rest with the limits
-- locked); returns the intents claimed in order with the checkpoint an
-- earlier lease holder saved, and on every row (one row with no intent when
-- none was claimed) whether such a limited intent was met.
WITH {{claim_candidates limit=:max}},
ranked AS (
    SELECT seq,
           {{has_limit}} AS deferred,
           row_number() OVER (ORDER BY priority DESC, run_at, seq) AS n
    FROM (
        {{claim_candidates_union}}
    ) AS candidates
),
limited AS (
    SELECT MIN(n) AS first_deferred
    FROM ranked
    WHERE deferred
      AND n <= :max
),
leases AS (
    SELECT *
    FROM unnest(
        CAST(:claim_tokens AS TEXT[]),
        CAST(:lease_expires_ats AS DOUBLE PRECISION[]),
        CAST(:worker_ids AS TEXT[])
    ) WITH ORDINALITY AS l(claim_token, lease_expires_at, worker_id, n)
),
best AS (
    SELECT ranked.seq, ranked.n, leases.claim_token, leases.lease_expires_at,
           leases.worker_id
    FROM ranked
    JOIN leases ON leases.n = ranked.n
    CROSS JOIN limited
    WHERE ranked.n < COALESCE(limited.first_deferred, :max + 1)
),
claimed AS (
    UPDATE intents
    SET {{lease_granted from=best.}}
    FROM best
    WHERE intents.seq = best.seq
    RETURNING intents.*, best.n AS claim_order,
        {{saved_checkpoint}}
)
SELECT claimed.*, limited.first_deferred IS NOT NULL AS deferred
FROM limited
LEFT JOIN claimed ON TRUE
ORDER BY claimed.claim_order

-- name: intent_leased_many
-- Reads and locks, in one statement, each intent of a batch of fails whose
-- token holds its live lease (as intent_leased does one); the batch comes as
-- one array per column with distinct ids, looked up by id (`= ANY`, so that
-- the plan made without the values still walks the id index), locked in id
-- order so that two batches never wait on each other in a cycle.
SELECT intents.*
FROM intents
JOIN unnest(CAST(:ids AS TEXT[]), CAST(:claim_tokens AS TEXT[])) AS b(id, claim_token)
  ON intents.id = b.id
WHERE intents.id = ANY(CAST(:ids AS TEXT[]))
  AND intents.status = 'claimed'
  AND intents.claim_token = b.claim_token
  AND intents.lease_expires_at > :now
  AND (CAST(:lease_owner AS TEXT) IS NULL OR intents.lease_owner IS NULL
       OR intents.lease_owner = :lease_owner)
ORDER BY intents.id
FOR UPDATE OF intents

-- name: intent_fail_many_notify
-- Ends, in one statement, the leases intent_leased_many locked (matched by
-- token too: the planner then expects few rows, and keeps the generic plan,
-- walking the id index, instead of planning each call anew), each as its
-- fail decided (:statuses, per row): 'open' reopens it due at its :run_ats
-- entry and announces it with its :notify_payloads entry, 'dead' kills it,
-- 'cancelled' ends a lease whose cancel was requested. When an intent's group
-- has a concurrency limit, wakes every replica's claimers for the slot freed.
-- Returns the intents as left.
WITH batch AS (
    SELECT *
    FROM unnest(
        CAST(:ids AS TEXT[]), CAST(:claim_tokens AS TEXT[]),
        CAST(:statuses AS TEXT[]), CAST(:run_ats AS DOUBLE PRECISION[]),
        CAST(:errors AS TEXT[]), CAST(:token_hashes AS TEXT[]),
        CAST(:notify_payloads AS TEXT[])
    ) AS b(id, claim_token, status, run_at, error, token_hash, notify_payload)
),
failed AS (
    UPDATE intents
    SET status = b.status,
        run_at = CASE WHEN b.status = 'open' THEN b.run_at ELSE intents.run_at END,
        error = b.error,
        completed_at = CASE WHEN b.status = 'open' THEN NULL
                            ELSE CAST(:now AS DOUBLE PRECISION) END,
        claim_token = NULL,
        lease_expires_at = NULL,
        done_token_hash = b.token_hash,
        done_kind = 'fail',
        updated_at = :now
    FROM batch b
    WHERE intents.id = ANY(CAST(:ids AS TEXT[]))
      AND intents.id = b.id
      AND intents.claim_token = b.claim_token
    RETURNING intents.*, b.notify_payload
)
SELECT failed.*,
       -- The announcements, one per row; a transaction's identical ones are
       -- sent once.
       CASE WHEN failed.notify_payload IS NOT NULL
            THEN pg_notify('intent_bus_work', failed.notify_payload) END AS reopened,
       CASE WHEN EXISTS (
                SELECT 1
                FROM concurrency_limits l
                WHERE l.owner = failed.owner
                  AND l.namespace = failed.namespace
                  AND l.goal = failed.goal
            )
            THEN pg_notify('intent_bus_work', :freed_origin) END AS freed
FROM failed

-- name: intent_completed_by_many
-- Reads, in one statement, each intent of a batch that its token (by its
-- hash) completed last (as intent_completed_by does one): the completions of
-- a batch that found no live lease, retried or stray; distinct ids.
SELECT intents.*
FROM intents
JOIN unnest(CAST(:ids AS TEXT[]), CAST(:token_hashes AS TEXT[])) AS b(id, token_hash)
  ON intents.id = b.id
WHERE intents.id = ANY(CAST(:ids AS TEXT[]))
  AND intents.done_token_hash = b.token_hash
  AND (CAST(:lease_owner AS TEXT) IS NULL OR intents.lease_owner IS NULL
       OR intents.lease_owner = :lease_owner)
