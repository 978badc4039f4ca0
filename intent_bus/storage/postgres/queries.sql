-- Every statement the PostgreSQL backend runs, by name; the same names and
-- parameters as the SQLite file where the two do the same thing. Parameters are
-- written :name. Row locks that several replicas may contend for are taken with
-- SKIP LOCKED, so that concurrent claimers and housekeepers never wait on one
-- another and never deadlock.

-- name: schema_version_create
-- Creates the table that records which migrations were applied.
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at DOUBLE PRECISION NOT NULL
)

-- name: schema_version_list
-- Lists the applied migration versions.
SELECT version
FROM schema_version
ORDER BY version

-- name: schema_version_insert
-- Records one applied migration.
INSERT INTO schema_version (version, applied_at)
VALUES (:version, :applied_at)

-- name: migration_lock
-- Serialises schema upgrades of one database until the transaction ends.
SELECT pg_advisory_xact_lock(:lock_id)

-- name: key_create
-- Stores a new key; a duplicate id or secret violates a unique constraint.
INSERT INTO api_keys (id, secret, secret_sealed, owner, role, created_at, revoked_at)
VALUES (:id, :secret, :secret_sealed, :owner, :role, :created_at, :revoked_at)

-- name: key_get
-- The key with that lookup value, revoked or not.
SELECT id, secret, secret_sealed, owner, role, created_at, revoked_at
FROM api_keys
WHERE secret = :secret

-- name: key_list
-- Keys oldest first, optionally of one role.
SELECT id, secret, secret_sealed, owner, role, created_at, revoked_at
FROM api_keys
WHERE CAST(:role AS TEXT) IS NULL OR role = :role
ORDER BY created_at, id

-- name: key_revoke
-- Marks a key revoked (keeping the first revocation time); nothing if unknown.
UPDATE api_keys
SET revoked_at = COALESCE(revoked_at, :now)
WHERE id = :id
RETURNING id, secret, secret_sealed, owner, role, created_at, revoked_at

-- name: nonce_remember
-- Records a nonce; returns a row only if that key had not used it.
INSERT INTO nonces (key_id, nonce, seen_at)
VALUES (:key_id, :nonce, :now)
ON CONFLICT (key_id, nonce) DO NOTHING
RETURNING nonce

-- name: nonce_take
-- Records a signed request's nonce as the first statement of that request's
-- own operation; a nonce already used breaks the key (nonces_pkey) and so
-- fails the statement and the whole transaction with it (see nonce_fold.py).
INSERT INTO nonces (key_id, nonce, seen_at)
VALUES (:key_id, :nonce, :now)

-- name: nonce_purge
-- Deletes up to :limit nonces first seen before :before, skipping rows in use.
DELETE FROM nonces
WHERE (key_id, nonce) IN (
    SELECT key_id, nonce
    FROM nonces
    WHERE seen_at < :before
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)

-- name: rate_hit
-- Counts one request in the key's window; returns the window's count.
INSERT INTO rate_windows (key_id, window_start, count)
VALUES (:key_id, :window_start, 1)
ON CONFLICT (key_id, window_start) DO UPDATE
SET count = rate_windows.count + 1
RETURNING count

-- name: rate_forget
-- Deletes a key's windows older than its current one, skipping rows in use.
DELETE FROM rate_windows
WHERE (key_id, window_start) IN (
    SELECT key_id, window_start
    FROM rate_windows
    WHERE key_id = :key_id
      AND window_start < :window_start
    FOR UPDATE SKIP LOCKED
)

-- name: idempotency_get
-- The recorded response of an idempotency key.
SELECT body_hash, status_code, response
FROM idempotency
WHERE key_id = :key_id
  AND key = :key

-- name: idempotency_purge
-- Deletes up to :limit idempotency records created before :before.
DELETE FROM idempotency
WHERE (key_id, key) IN (
    SELECT key_id, key
    FROM idempotency
    WHERE created_at < :before
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)

-- name: work_notify
-- Tells every replica's listener that work became available; fires on commit.
-- The payload (listener.work_payload) says who could take it.
SELECT pg_notify('intent_bus_work', :notify_payload)

-- name: intent_insert_notify
-- Inserts a new open intent and tells every replica who could take it, in one
-- statement: one round trip, and the notification fires on its commit.
WITH inserted AS (
    INSERT INTO intents (
        id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
        max_attempts, backoff_base, target_worker, required_capability, concurrency_key,
        status, claim_attempts, updated_at
    )
    VALUES (
        :id, :owner, :goal, :payload, :namespace, :visibility, :priority, :run_at,
        :created_at, :max_attempts, :backoff_base, :target_worker, :required_capability,
        :concurrency_key, 'open', 0, :now
    )
    RETURNING seq
)
SELECT pg_notify('intent_bus_work', :notify_payload)
FROM inserted

-- name: intent_insert_idempotent_notify
-- Records the idempotency key and, only when it was new, inserts the intent and
-- wakes every replica, in one statement; returns no row when the key was used.
-- A racing publish with the same key waits for the other's commit, then skips.
WITH recorded AS (
    INSERT INTO idempotency (key_id, key, body_hash, status_code, response, created_at)
    VALUES (:key_id, :key, :body_hash, :status_code, :response, :now)
    ON CONFLICT (key_id, key) DO NOTHING
    RETURNING key
),
inserted AS (
    INSERT INTO intents (
        id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
        max_attempts, backoff_base, target_worker, required_capability, concurrency_key,
        status, claim_attempts, updated_at
    )
    SELECT
        :id, :owner, :goal, :payload, :namespace, :visibility, :priority, :run_at,
        :created_at, :max_attempts, :backoff_base, :target_worker, :required_capability,
        :concurrency_key, 'open', 0, :now
    FROM recorded
    RETURNING seq
)
SELECT pg_notify('intent_bus_work', :notify_payload)
FROM inserted

-- fragment: under_limit
-- The intent's group has no concurrency limit, or fewer claimed intents than
-- it allows (in all, and with the intent's concurrency key). Only exact under
-- the limit rows' locks (intent_claim_limited's caller takes them).
NOT EXISTS (SELECT 1 FROM concurrency_limits l WHERE l.owner = intents.owner
                      AND l.namespace = intents.namespace AND l.goal = intents.goal
                      AND ((SELECT COUNT(*) FROM intents r WHERE r.owner = l.owner
                            AND r.goal = l.goal AND r.namespace = l.namespace
                            AND r.status = 'claimed') >= l.max_running
                        OR (SELECT COUNT(*) FROM intents r WHERE r.owner = l.owner
                            AND r.goal = l.goal AND r.namespace = l.namespace
                            AND r.status = 'claimed'
                            AND r.concurrency_key = intents.concurrency_key)
                           >= l.max_per_key))

-- fragment: lease_granted
-- The SET list that leases an intent, the lease's token, expiry and worker
-- taken from $from (`:` for the statement's parameters, `best.` for a row).
status = 'claimed',
        claim_attempts = claim_attempts + 1,
        claim_token = ${from}claim_token,
        lease_expires_at = ${from}lease_expires_at,
        worker_id = ${from}worker_id,
        lease_owner = :owner,
        done_token_hash = NULL,
        done_kind = NULL,
        updated_at = :now

-- fragment: saved_checkpoint
-- The checkpoint an earlier lease holder saved for the intent (null when none).
(SELECT p.checkpoint FROM intent_progress p WHERE p.intent_seq = intents.seq)
            AS checkpoint

-- fragment: worker_can_take
-- Whether the claiming worker may take an intent: not targeted at another
-- worker, and its required capability (if any) among the worker's.
(target_worker IS NULL OR target_worker = :worker_id)
AND (required_capability IS NULL
     OR required_capability = ANY(CAST(:capabilities AS TEXT[])))

-- fragment: not_paused
-- The intent's namespace, or its goal in it, is not paused.
NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                      AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))

-- fragment: candidate_rest
-- What every claim candidate asks besides its filter shape: due, takeable by
-- this worker, not paused; best first, locked without waiting.
run_at <= :now
      AND {{worker_can_take}}
      AND {{not_paused}}
    ORDER BY priority DESC, run_at, seq
    LIMIT $limit
    FOR UPDATE SKIP LOCKED

-- fragment: claim_candidates
-- The best open intents a claim may lease (up to $limit per filter shape), as
-- five CTEs, one per filter shape: goal given or not, publisher given or not,
-- private or public. Each is switched on or off by a condition on the
-- parameters alone, which a generic plan evaluates once per call (a One-Time
-- Filter) before touching an index, so every shape walks its own index
-- whatever the values. Rows are locked with SKIP LOCKED so concurrent claimers
-- never meet on a row.
private_of_goal AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND goal = :goal
      AND (CAST(:publisher AS TEXT) IS NULL OR CAST(:publisher AS TEXT) = CAST(:owner AS TEXT))
      AND {{candidate_rest limit=$limit}}
),
private_of_any_goal AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND CAST(:goal AS TEXT) IS NULL
      AND (CAST(:publisher AS TEXT) IS NULL OR CAST(:publisher AS TEXT) = CAST(:owner AS TEXT))
      AND {{candidate_rest limit=$limit}}
),
public_of_goal AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND goal = :goal
      AND (CAST(:publisher AS TEXT) IS NULL OR owner = :publisher)
      AND {{candidate_rest limit=$limit}}
),
public_of_publisher AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND CAST(:goal AS TEXT) IS NULL
      AND owner = :publisher
      AND {{candidate_rest limit=$limit}}
),
public_of_anyone AS (
    SELECT seq, priority, run_at, owner, namespace, goal
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND CAST(:goal AS TEXT) IS NULL
      AND CAST(:publisher AS TEXT) IS NULL
      AND {{candidate_rest limit=$limit}}
)

-- fragment: claim_candidates_union
-- Every row of claim_candidates' five CTEs.
SELECT * FROM private_of_goal
        UNION ALL
        SELECT * FROM private_of_any_goal
        UNION ALL
        SELECT * FROM public_of_goal
        UNION ALL
        SELECT * FROM public_of_publisher
        UNION ALL
        SELECT * FROM public_of_anyone

-- fragment: has_limit
-- Whether the candidate's group has a concurrency limit.
EXISTS (
               SELECT 1 FROM concurrency_limits l WHERE l.owner = candidates.owner
               AND l.namespace = candidates.namespace AND l.goal = candidates.goal
           )

-- name: intent_claim
-- Leases the best eligible intent: the better of the best private candidate
-- (owner + namespace) and the best public one, each found by its own partial
-- index and locked with SKIP LOCKED so concurrent claimers never meet on a row.
-- Returns the checkpoint an earlier lease holder saved (null when none) too.
-- The statement is prepared, so its plan is made once, without the values:
-- each filter shape (goal given or not, publisher given or not) has its own
-- candidate, switched on or off by a condition on the parameters alone, which
-- a generic plan evaluates once per call (a One-Time Filter) before touching
-- an index; so every shape walks its own index whatever the values.
-- Concurrency limits are not counted here, so a claim that meets none costs what
-- it did before limits: when the best intent has a limit, the one row returned
-- has `deferred` set and no intent, and the caller locks the limits and asks
-- intent_claim_limited (storage/postgres/limits.py). No row: nothing is open.
WITH {{claim_candidates limit=1}},
best AS (
    SELECT seq,
           {{has_limit}} AS deferred
    FROM (
        {{claim_candidates_union}}
    ) AS candidates
    ORDER BY priority DESC, run_at, seq
    LIMIT 1
),
claimed AS (
    UPDATE intents
    SET {{lease_granted from=:}}
    FROM best
    WHERE intents.seq = best.seq
      AND NOT best.deferred
    RETURNING intents.*,
        {{saved_checkpoint}}
)
SELECT claimed.*, best.deferred
FROM best
LEFT JOIN claimed ON claimed.seq = best.seq

-- name: intent_next_due_private
-- Returns the earliest future run_at among the tenant's private intents in a namespace.
-- Nothing when the claim of the same poll (its token) took an intent: that
-- poll needs no next due time, and the gate spares it the scan. Prepared like
-- intent_claim: one branch per goal shape, switched by the parameters alone.
SELECT MIN(run_at) AS next_due
FROM (
    SELECT run_at
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND goal = :goal
      AND run_at > :now
      AND {{worker_can_take}}
    UNION ALL
    SELECT run_at
    FROM intents
    WHERE status = 'open'
      AND visibility = 'private'
      AND owner = :owner
      AND namespace = :namespace
      AND CAST(:goal AS TEXT) IS NULL
      AND run_at > :now
      AND {{worker_can_take}}
) AS due
WHERE (CAST(:publisher AS TEXT) IS NULL OR CAST(:publisher AS TEXT) = CAST(:owner AS TEXT))
  AND NOT EXISTS (
    SELECT 1
    FROM intents
    WHERE status = 'claimed'
      AND lease_expires_at = :lease_expires_at
      AND claim_token = :claim_token
  )

-- name: intent_next_due_public
-- Returns the earliest future run_at among public intents.
-- Nothing when the claim of the same poll (its token) took an intent: that
-- poll needs no next due time, and the gate spares it the scan. Prepared like
-- intent_claim: one branch per filter shape, switched by the parameters alone.
SELECT MIN(run_at) AS next_due
FROM (
    SELECT run_at
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND goal = :goal
      AND run_at > :now
      AND (CAST(:publisher AS TEXT) IS NULL OR owner = :publisher)
      AND {{worker_can_take}}
    UNION ALL
    SELECT run_at
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND CAST(:goal AS TEXT) IS NULL
      AND owner = :publisher
      AND run_at > :now
      AND {{worker_can_take}}
    UNION ALL
    SELECT run_at
    FROM intents
    WHERE status = 'open'
      AND visibility = 'public'
      AND CAST(:goal AS TEXT) IS NULL
      AND CAST(:publisher AS TEXT) IS NULL
      AND run_at > :now
      AND {{worker_can_take}}
) AS due
WHERE NOT EXISTS (
    SELECT 1
    FROM intents
    WHERE status = 'claimed'
      AND lease_expires_at = :lease_expires_at
      AND claim_token = :claim_token
  )

-- name: intent_fulfill_notify
-- Completes the intent if the token holds its live lease; when its group has a
-- concurrency limit, wakes every replica's claimers for the slot it frees.
WITH done AS (
    UPDATE intents
    SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'fulfilled' END,
        result = CASE WHEN cancel_requested THEN NULL ELSE CAST(:result AS BYTEA) END,
        result_type = CASE WHEN cancel_requested THEN NULL
                           ELSE CAST(:result_type AS TEXT) END,
        completed_at = :now,
        claim_token = NULL,
        lease_expires_at = NULL,
        done_token_hash = :token_hash,
        done_kind = 'fulfill',
        updated_at = :now
    WHERE id = :id
      AND status = 'claimed'
      AND claim_token = :claim_token
      AND lease_expires_at > :now
      AND (CAST(:lease_owner AS TEXT) IS NULL OR lease_owner IS NULL
           OR lease_owner = :lease_owner)
    RETURNING *
),
freed AS (
    SELECT pg_notify('intent_bus_work', :freed_origin)
    FROM done
    JOIN concurrency_limits l
      ON l.owner = done.owner AND l.namespace = done.namespace AND l.goal = done.goal
)
SELECT done.*, freed_slots.woken
FROM done
CROSS JOIN (SELECT COUNT(*) AS woken FROM freed) AS freed_slots

-- name: intent_fulfill_many_notify
-- Completes, in one statement, each intent of a batch whose token holds its
-- live lease (as intent_fulfill_notify does one); the batch comes as one array
-- per column with distinct ids, looked up by id (`= ANY`, so that the plan
-- made without the values still walks the id index). Returns the intents it
-- completed.
WITH batch AS (
    SELECT *
    FROM unnest(
        CAST(:ids AS TEXT[]), CAST(:claim_tokens AS TEXT[]),
        CAST(:results AS BYTEA[]), CAST(:result_types AS TEXT[]),
        CAST(:token_hashes AS TEXT[])
    ) AS b(id, claim_token, result, result_type, token_hash)
),
done AS (
    UPDATE intents
    SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'fulfilled' END,
        result = CASE WHEN cancel_requested THEN NULL ELSE b.result END,
        result_type = CASE WHEN cancel_requested THEN NULL ELSE b.result_type END,
        completed_at = :now,
        claim_token = NULL,
        lease_expires_at = NULL,
        done_token_hash = b.token_hash,
        done_kind = 'fulfill',
        updated_at = :now
    FROM batch b
    WHERE intents.id = ANY(CAST(:ids AS TEXT[]))
      AND intents.id = b.id
      AND intents.status = 'claimed'
      AND intents.claim_token = b.claim_token
      AND intents.lease_expires_at > :now
      AND (CAST(:lease_owner AS TEXT) IS NULL OR intents.lease_owner IS NULL
           OR intents.lease_owner = :lease_owner)
    RETURNING intents.*
),
freed AS (
    SELECT pg_notify('intent_bus_work', :freed_origin)
    FROM done
    JOIN concurrency_limits l
      ON l.owner = done.owner AND l.namespace = done.namespace AND l.goal = done.goal
)
SELECT done.*, freed_slots.woken
FROM done
CROSS JOIN (SELECT COUNT(*) AS woken FROM freed) AS freed_slots

-- name: intent_leased
-- Reads and locks an intent if the token holds its live lease.
SELECT *
FROM intents
WHERE id = :id
  AND status = 'claimed'
  AND claim_token = :claim_token
  AND lease_expires_at > :now
  AND (CAST(:lease_owner AS TEXT) IS NULL OR lease_owner IS NULL OR lease_owner = :lease_owner)
FOR UPDATE

-- name: intent_fail_reopen
-- Returns a failed intent to the queue, due at :run_at.
UPDATE intents
SET status = 'open',
    run_at = :run_at,
    error = :error,
    claim_token = NULL,
    lease_expires_at = NULL,
    done_token_hash = :token_hash,
    done_kind = 'fail',
    updated_at = :now
WHERE id = :id
RETURNING *

-- name: intent_fail_kill
-- Kills a failed intent whose attempts are spent.
UPDATE intents
SET status = 'dead',
    error = :error,
    completed_at = :now,
    claim_token = NULL,
    lease_expires_at = NULL,
    done_token_hash = :token_hash,
    done_kind = 'fail',
    updated_at = :now
WHERE id = :id
RETURNING *

-- name: intent_extend
-- Moves the expiry of a live lease held by the token.
UPDATE intents
SET lease_expires_at = :lease_expires_at,
    updated_at = :now
WHERE id = :id
  AND status = 'claimed'
  AND claim_token = :claim_token
  AND lease_expires_at > :now
  AND (CAST(:lease_owner AS TEXT) IS NULL OR lease_owner IS NULL OR lease_owner = :lease_owner)
RETURNING *

-- name: intent_get
-- Reads one intent by id.
SELECT *
FROM intents
WHERE id = :id

-- name: intent_settle_leases_notify
-- Reopens up to :limit intents whose lease expired, or kills them when their
-- attempts are spent, skipping rows another replica is settling; wakes every
-- replica when one reopened. Returns how many it settled.
WITH settled AS (
    UPDATE intents
    SET status = CASE
        WHEN cancel_requested THEN 'cancelled'
        WHEN claim_attempts < max_attempts THEN 'open'
        ELSE 'dead'
    END,
        run_at = CASE
        WHEN NOT cancel_requested AND claim_attempts < max_attempts THEN :now
        ELSE run_at
    END,
        error = CASE
            WHEN cancel_requested OR claim_attempts < max_attempts THEN error
            ELSE 'lease expired'
        END,
        completed_at = CASE
        WHEN NOT cancel_requested AND claim_attempts < max_attempts THEN NULL
        ELSE :now
    END,
        claim_token = NULL,
        lease_expires_at = NULL,
        updated_at = :now
    WHERE seq IN (
        SELECT seq
        FROM intents
        WHERE status = 'claimed'
          AND lease_expires_at <= :now
        ORDER BY lease_expires_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING status
),
woken AS (
    SELECT pg_notify('intent_bus_work', :origin)
    WHERE EXISTS (SELECT 1 FROM settled WHERE status = 'open')
)
SELECT
    (SELECT COUNT(*) FROM settled) AS settled,
    (SELECT COUNT(*) FROM woken) AS woken

-- name: intent_settle_lease
-- Settles one intent's lease if it has expired (see intent_settle_leases).
UPDATE intents
SET status = CASE
        WHEN cancel_requested THEN 'cancelled'
        WHEN claim_attempts < max_attempts THEN 'open'
        ELSE 'dead'
    END,
    run_at = CASE
        WHEN NOT cancel_requested AND claim_attempts < max_attempts THEN :now
        ELSE run_at
    END,
    error = CASE
        WHEN cancel_requested OR claim_attempts < max_attempts THEN error
        ELSE 'lease expired'
    END,
    completed_at = CASE
        WHEN NOT cancel_requested AND claim_attempts < max_attempts THEN NULL
        ELSE :now
    END,
    claim_token = NULL,
    lease_expires_at = NULL,
    updated_at = :now
WHERE id = :id
  AND status = 'claimed'
  AND lease_expires_at <= :now
RETURNING status

-- name: intent_purge
-- Deletes up to :limit terminal intents completed before :before.
DELETE FROM intents
WHERE seq IN (
    SELECT seq
    FROM intents
    WHERE status IN ('fulfilled', 'dead', 'cancelled')
      AND completed_at < :before
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)

-- name: intent_list_dead
-- Dead intents, most recently completed first, optionally of one owner/namespace.
SELECT *
FROM intents
WHERE status = 'dead'
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
  AND (CAST(:namespace AS TEXT) IS NULL OR namespace = :namespace)
ORDER BY completed_at DESC, seq DESC
LIMIT :limit

-- name: intent_requeue
-- Reopens a dead intent with fresh attempts, due now.
UPDATE intents
SET status = 'open',
    claim_attempts = 0,
    run_at = :now,
    error = NULL,
    completed_at = NULL,
    result = NULL,
    result_type = NULL,
    claim_token = NULL,
    lease_expires_at = NULL,
    done_token_hash = NULL,
    done_kind = NULL,
    updated_at = :now
WHERE id = :id
  AND status = 'dead'
RETURNING *

-- name: kv_set
-- Stores a value for the owner, replacing any earlier one.
INSERT INTO kv (owner, key, value, expires_at, updated_at)
VALUES (:owner, :key, :value, :expires_at, :now)
ON CONFLICT (owner, key) DO UPDATE
SET value = EXCLUDED.value,
    expires_at = EXCLUDED.expires_at,
    updated_at = EXCLUDED.updated_at

-- name: kv_get
-- The owner's live value for the key.
SELECT value
FROM kv
WHERE owner = :owner
  AND key = :key
  AND expires_at > :now

-- name: kv_purge
-- Deletes up to :limit expired entries.
DELETE FROM kv
WHERE (owner, key) IN (
    SELECT owner, key
    FROM kv
    WHERE expires_at <= :now
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)

-- name: intent_insert_many_notify
-- Publishes a batch in one statement: records the items' idempotency keys
-- (the first item of a key wins, as when they are inserted one by one),
-- inserts the intents whose key is new or absent in the batch's order, and
-- announces each; returns the ids inserted. The batch comes as one array per
-- column, rows matched by position.
WITH batch AS (
    SELECT *
    FROM unnest(
        CAST(:ids AS TEXT[]), CAST(:owners AS TEXT[]), CAST(:goals AS TEXT[]),
        CAST(:payloads AS BYTEA[]), CAST(:namespaces AS TEXT[]),
        CAST(:visibilities AS TEXT[]), CAST(:priorities AS INTEGER[]),
        CAST(:run_ats AS DOUBLE PRECISION[]), CAST(:created_ats AS DOUBLE PRECISION[]),
        CAST(:max_attempts AS INTEGER[]), CAST(:backoff_bases AS DOUBLE PRECISION[]),
        CAST(:target_workers AS TEXT[]), CAST(:required_capabilities AS TEXT[]),
        CAST(:concurrency_keys AS TEXT[]), CAST(:key_ids AS TEXT[]),
        CAST(:keys AS TEXT[]), CAST(:body_hashes AS TEXT[]),
        CAST(:status_codes AS INTEGER[]), CAST(:responses AS BYTEA[]),
        CAST(:notify_payloads AS TEXT[])
    ) WITH ORDINALITY AS b(
        id, owner, goal, payload, namespace, visibility, priority, run_at,
        created_at, max_attempts, backoff_base, target_worker,
        required_capability, concurrency_key, key_id, key, body_hash,
        status_code, response, notify_payload, n
    )
),
first_of_key AS (
    SELECT DISTINCT ON (key_id, key) n, key_id, key, body_hash, status_code, response
    FROM batch
    WHERE key IS NOT NULL
    ORDER BY key_id, key, n
),
recorded AS (
    INSERT INTO idempotency (key_id, key, body_hash, status_code, response, created_at)
    SELECT key_id, key, body_hash, status_code, response, :now
    FROM first_of_key
    ORDER BY n
    ON CONFLICT (key_id, key) DO NOTHING
    RETURNING key_id, key
),
inserted AS (
    INSERT INTO intents (
        id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
        max_attempts, backoff_base, target_worker, required_capability, concurrency_key,
        status, claim_attempts, updated_at
    )
    SELECT
        b.id, b.owner, b.goal, b.payload, b.namespace, b.visibility, b.priority,
        b.run_at, b.created_at, b.max_attempts, b.backoff_base, b.target_worker,
        b.required_capability, b.concurrency_key, 'open', 0, :now
    FROM batch b
    WHERE b.key IS NULL
       OR EXISTS (
        SELECT 1
        FROM recorded r
        JOIN first_of_key f ON f.key_id = r.key_id AND f.key = r.key
        WHERE f.n = b.n
    )
    ORDER BY b.n
    RETURNING id
)
SELECT inserted.id, pg_notify('intent_bus_work', b.notify_payload) AS notified
FROM inserted
JOIN batch b ON b.id = inserted.id
