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
WITH private_of_goal AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND goal = :goal
      AND run_at <= :now
      AND (CAST(:publisher AS TEXT) IS NULL OR CAST(:publisher AS TEXT) = CAST(:owner AS TEXT))
      AND (target_worker IS NULL OR target_worker = :worker_id)
      AND (required_capability IS NULL
           OR required_capability = ANY(CAST(:capabilities AS TEXT[])))
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                      AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))
    ORDER BY priority DESC, run_at, seq
    LIMIT :max
    FOR UPDATE SKIP LOCKED
),
private_of_any_goal AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND CAST(:goal AS TEXT) IS NULL
      AND run_at <= :now
      AND (CAST(:publisher AS TEXT) IS NULL OR CAST(:publisher AS TEXT) = CAST(:owner AS TEXT))
      AND (target_worker IS NULL OR target_worker = :worker_id)
      AND (required_capability IS NULL
           OR required_capability = ANY(CAST(:capabilities AS TEXT[])))
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                      AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))
    ORDER BY priority DESC, run_at, seq
    LIMIT :max
    FOR UPDATE SKIP LOCKED
),
public_of_goal AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND goal = :goal
      AND run_at <= :now
      AND (CAST(:publisher AS TEXT) IS NULL OR owner = :publisher)
      AND (target_worker IS NULL OR target_worker = :worker_id)
      AND (required_capability IS NULL
           OR required_capability = ANY(CAST(:capabilities AS TEXT[])))
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                      AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))
    ORDER BY priority DESC, run_at, seq
    LIMIT :max
    FOR UPDATE SKIP LOCKED
),
public_of_publisher AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND CAST(:goal AS TEXT) IS NULL
      AND owner = :publisher
      AND run_at <= :now
      AND (target_worker IS NULL OR target_worker = :worker_id)
      AND (required_capability IS NULL
           OR required_capability = ANY(CAST(:capabilities AS TEXT[])))
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                      AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))
    ORDER BY priority DESC, run_at, seq
    LIMIT :max
    FOR UPDATE SKIP LOCKED
),
public_of_anyone AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND CAST(:goal AS TEXT) IS NULL
      AND CAST(:publisher AS TEXT) IS NULL
      AND run_at <= :now
      AND (target_worker IS NULL OR target_worker = :worker_id)
      AND (required_capability IS NULL
           OR required_capability = ANY(CAST(:capabilities AS TEXT[])))
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                      AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))
    ORDER BY priority DESC, run_at, seq
    LIMIT :max
    FOR UPDATE SKIP LOCKED
),
ranked AS (
    SELECT seq,
           EXISTS (
               SELECT 1 FROM concurrency_limits l WHERE l.owner = candidates.owner
               AND l.namespace = candidates.namespace AND l.goal = candidates.goal
           ) AS deferred,
           row_number() OVER (ORDER BY priority DESC, run_at, seq) AS n
    FROM (
        SELECT * FROM private_of_goal
        UNION ALL
        SELECT * FROM private_of_any_goal
        UNION ALL
        SELECT * FROM public_of_goal
        UNION ALL
        SELECT * FROM public_of_publisher
        UNION ALL
        SELECT * FROM public_of_anyone
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
    SET status = 'claimed',
        claim_attempts = claim_attempts + 1,
        claim_token = best.claim_token,
        lease_expires_at = best.lease_expires_at,
        worker_id = best.worker_id,
        lease_owner = :owner,
        done_token_hash = NULL,
        done_kind = NULL,
        updated_at = :now
    FROM best
    WHERE intents.seq = best.seq
    RETURNING intents.*, best.n AS claim_order,
        (SELECT p.checkpoint FROM intent_progress p WHERE p.intent_seq = intents.seq)
            AS checkpoint
)
SELECT claimed.*, limited.first_deferred IS NOT NULL AS deferred
FROM limited
LEFT JOIN claimed ON TRUE
ORDER BY claimed.claim_order
