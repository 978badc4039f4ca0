-- Batch claims on PostgreSQL (PostgresBatches.intent_poll_many).

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
