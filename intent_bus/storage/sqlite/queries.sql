-- Every statement the SQLite backend runs, by name; the PostgreSQL file uses the same
-- names and parameters where the two do the same thing. Python never glues SQL together.
--
-- The claim path's writes to intents say OR FAIL: a statement that fires the
-- timeline's triggers would otherwise keep a statement journal (a copy of every
-- page it changes) to undo itself alone on a constraint error. The writer undoes
-- the whole operation on any error (its savepoint), so that copy is never needed.

-- name: schema_version_create
-- Creates the table that records which migrations were applied.
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL
);

-- name: schema_version_list
-- Lists the applied migration versions.
SELECT version
FROM schema_version
ORDER BY version;

-- name: schema_version_insert
-- Records one applied migration.
INSERT INTO schema_version (version, applied_at)
VALUES (:version, :applied_at);

-- name: key_create
-- Stores a new API key: its lookup value and sealed secret.
INSERT INTO api_keys (id, secret, secret_sealed, owner, role, created_at, revoked_at)
VALUES (:id, :secret, :secret_sealed, :owner, :role, :created_at, :revoked_at);

-- name: key_get
-- Finds a key by its lookup value, revoked or not.
SELECT *
FROM api_keys
WHERE secret = :secret;

-- name: key_list
-- Lists keys oldest first, optionally of one role.
SELECT *
FROM api_keys
WHERE :role IS NULL OR role = :role
ORDER BY created_at, id;

-- name: key_revoke
-- Marks a key revoked, keeping the first revocation time.
UPDATE api_keys
SET revoked_at = COALESCE(revoked_at, :now)
WHERE id = :id
RETURNING *;

-- name: nonce_remember
-- Keeps a nonce that the process's set of nonces (sqlite/nonces.py) has just
-- accepted, so a restart knows it too. Appends: the key starts with the time.
INSERT INTO nonces (seen_at, key_id, nonce)
VALUES (:now, :key_id, :nonce)
ON CONFLICT DO NOTHING;

-- name: nonce_load
-- Every nonce kept, for the set of nonces at start.
SELECT key_id, nonce, seen_at
FROM nonces;

-- name: nonce_purge
-- Deletes a batch of nonces first seen before a time: the head of the table.
DELETE FROM nonces
WHERE (seen_at, key_id, nonce) IN (
    SELECT seen_at, key_id, nonce
    FROM nonces
    WHERE seen_at < :before
    ORDER BY seen_at
    LIMIT :limit
);

-- name: rate_hit
-- Counts one request in a key's rate window and returns the window's count.
INSERT INTO rate_windows (key_id, window_start, count)
VALUES (:key_id, :window_start, 1)
ON CONFLICT (key_id, window_start) DO UPDATE
SET count = count + 1
RETURNING count;

-- name: rate_forget
-- Deletes a key's windows older than its current one.
DELETE FROM rate_windows
WHERE key_id = :key_id
  AND window_start < :window_start;

-- name: idempotency_get
-- Finds the response recorded for an idempotency key.
SELECT body_hash, status_code, response
FROM idempotency
WHERE key_id = :key_id
  AND key = :key;

-- name: idempotency_insert
-- Records the response of a publish under its idempotency key.
INSERT INTO idempotency (key_id, key, body_hash, status_code, response, created_at)
VALUES (:key_id, :key, :body_hash, :status_code, :response, :now);

-- name: idempotency_purge
-- Deletes a batch of idempotency records created before a time.
DELETE FROM idempotency
WHERE (key_id, key) IN (
    SELECT key_id, key
    FROM idempotency
    WHERE created_at < :before
    LIMIT :limit
);

-- name: intent_insert
-- Inserts a new open intent.
INSERT OR FAIL INTO intents (
    id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
    max_attempts, backoff_base, target_worker, required_capability, concurrency_key,
    status, claim_attempts, updated_at
)
VALUES (
    :id, :owner, :goal, :payload, :namespace, :visibility, :priority, :run_at,
    :created_at, :max_attempts, :backoff_base, :target_worker, :required_capability,
    :concurrency_key, 'open', 0, :now
);

-- name: intent_get
-- Reads one intent by id.
SELECT *
FROM intents
WHERE id = :id;

-- name: intent_settle_leases
-- Reopens up to :limit intents whose lease expired (oldest expiry first), or kills
-- them when their attempts are spent.
UPDATE OR FAIL intents
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
    FROM intents INDEXED BY intents_lease_expiry
    WHERE status = 'claimed'
      AND lease_expires_at <= :now
    ORDER BY lease_expires_at
    LIMIT :limit
);

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
  AND lease_expires_at <= :now;

-- fragment: worker_can_take
-- Whether the claiming worker may take an intent: not targeted at another
-- worker, and its required capability (if any) among the worker's.
(target_worker IS NULL OR target_worker = :worker_id)
  AND (
    required_capability IS NULL
    OR required_capability IN (SELECT value FROM json_each(:capabilities))
  )

-- fragment: not_paused
-- The intent's namespace, or its goal in it, is not paused.
NOT EXISTS (SELECT 1 FROM pauses p WHERE p.owner = intents.owner
                  AND p.namespace = intents.namespace AND p.goal IN ('', intents.goal))

-- fragment: under_limit
-- The intent's group has no concurrency limit, or fewer claimed intents than
-- it allows (in all, and with the intent's concurrency key). One writer makes
-- the count exact; it only runs where a limit row exists.
NOT EXISTS (SELECT 1 FROM concurrency_limits l WHERE l.owner = intents.owner
                  AND l.namespace = intents.namespace AND l.goal = intents.goal
                  AND ((SELECT COUNT(*) FROM intents r WHERE r.owner = l.owner
                        AND r.goal = l.goal AND r.namespace = l.namespace
                        AND r.status = 'claimed') >= l.max_running
                    OR (SELECT COUNT(*) FROM intents r WHERE r.owner = l.owner
                        AND r.goal = l.goal AND r.namespace = l.namespace
                        AND r.status = 'claimed'
                        AND r.concurrency_key = intents.concurrency_key) >= l.max_per_key))

-- name: intent_candidate_private
-- Finds the best due private intent of the claimer's tenant and namespace.
SELECT seq, priority, run_at
FROM intents INDEXED BY intents_claim_private
WHERE status = 'open'
  AND visibility = 'private'
  AND owner = :owner
  AND namespace = :namespace
  AND run_at <= :now
  AND {{worker_can_take}}
  AND {{not_paused}}
  AND {{under_limit}}
ORDER BY priority DESC, run_at, seq
LIMIT 1;

-- name: intent_candidate_private_goal
-- Finds the best due private intent of the tenant and namespace with one goal.
SELECT seq, priority, run_at
FROM intents INDEXED BY intents_claim_private_goal
WHERE status = 'open'
  AND visibility = 'private'
  AND owner = :owner
  AND namespace = :namespace
  AND goal = :goal
  AND run_at <= :now
  AND {{worker_can_take}}
  AND {{not_paused}}
  AND {{under_limit}}
ORDER BY priority DESC, run_at, seq
LIMIT 1;

-- name: intent_candidate_public
-- Finds the best due public intent.
SELECT seq, priority, run_at
FROM intents INDEXED BY intents_claim_public
WHERE status = 'open'
  AND visibility = 'public'
  AND run_at <= :now
  AND {{worker_can_take}}
  AND {{not_paused}}
  AND {{under_limit}}
ORDER BY priority DESC, run_at, seq
LIMIT 1;

-- name: intent_candidate_public_goal
-- Finds the best due public intent with one goal.
SELECT seq, priority, run_at
FROM intents INDEXED BY intents_claim_public_goal
WHERE status = 'open'
  AND visibility = 'public'
  AND goal = :goal
  AND run_at <= :now
  AND {{worker_can_take}}
  AND {{not_paused}}
  AND {{under_limit}}
ORDER BY priority DESC, run_at, seq
LIMIT 1;

-- name: intent_candidate_public_publisher
-- Finds the best due public intent of one publisher, optionally with one goal.
SELECT seq, priority, run_at
FROM intents INDEXED BY intents_claim_public_owner
WHERE status = 'open'
  AND visibility = 'public'
  AND owner = :publisher
  AND (:goal IS NULL OR goal = :goal)
  AND run_at <= :now
  AND {{worker_can_take}}
  AND {{not_paused}}
  AND {{under_limit}}
ORDER BY priority DESC, run_at, seq
LIMIT 1;

-- name: intent_claim_chosen
-- Leases the open intent the candidate queries chose and counts the attempt.
UPDATE OR FAIL intents
SET status = 'claimed',
    claim_token = :claim_token,
    lease_expires_at = :lease_expires_at,
    worker_id = :worker_id,
    lease_owner = :owner,
    done_token_hash = NULL,
    done_kind = NULL,
    claim_attempts = claim_attempts + 1,
    updated_at = :now
WHERE seq = :seq
  AND status = 'open'
RETURNING *;

-- name: intent_next_due_private
-- Returns the earliest future run_at among the tenant's private intents in a namespace.
-- Nothing when the claim of the same poll (its token) took an intent: that
-- poll needs no next due time, and the gate spares it the scan.
SELECT MIN(run_at)
FROM intents INDEXED BY intents_claim_private
WHERE status = 'open'
  AND visibility = 'private'
  AND owner = :owner
  AND namespace = :namespace
  AND (:goal IS NULL OR goal = :goal)
  AND (:publisher IS NULL OR owner = :publisher)
  AND run_at > :now
  AND {{worker_can_take}}
  AND NOT EXISTS (
    SELECT 1
    FROM intents INDEXED BY intents_lease_expiry
    WHERE status = 'claimed'
      AND lease_expires_at = :lease_expires_at
      AND claim_token = :claim_token
  );

-- name: intent_next_due_public
-- Returns the earliest future run_at among public intents.
-- Nothing when the claim of the same poll (its token) took an intent: that
-- poll needs no next due time, and the gate spares it the scan.
SELECT MIN(run_at)
FROM intents INDEXED BY intents_claim_public
WHERE status = 'open'
  AND visibility = 'public'
  AND (:goal IS NULL OR goal = :goal)
  AND (:publisher IS NULL OR owner = :publisher)
  AND run_at > :now
  AND {{worker_can_take}}
  AND NOT EXISTS (
    SELECT 1
    FROM intents INDEXED BY intents_lease_expiry
    WHERE status = 'claimed'
      AND lease_expires_at = :lease_expires_at
      AND claim_token = :claim_token
  );

-- name: intent_fulfill
-- Completes a live lease with its result.
UPDATE OR FAIL intents
SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'fulfilled' END,
    result = CASE WHEN cancel_requested THEN NULL ELSE :result END,
    result_type = CASE WHEN cancel_requested THEN NULL ELSE :result_type END,
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
  AND (:lease_owner IS NULL OR lease_owner IS NULL OR lease_owner = :lease_owner)
RETURNING *;

-- name: intent_leased
-- Reads an intent if the token holds its live lease.
SELECT *
FROM intents
WHERE id = :id
  AND status = 'claimed'
  AND claim_token = :claim_token
  AND lease_expires_at > :now
  AND (:lease_owner IS NULL OR lease_owner IS NULL OR lease_owner = :lease_owner);

-- name: intent_fail_reopen
-- Returns a failed intent to open, due again at run_at.
UPDATE OR FAIL intents
SET status = 'open',
    run_at = :run_at,
    error = :error,
    claim_token = NULL,
    lease_expires_at = NULL,
    done_token_hash = :token_hash,
    done_kind = 'fail',
    updated_at = :now
WHERE id = :id
RETURNING *;

-- name: intent_fail_kill
-- Kills a failed intent whose attempts are spent.
UPDATE OR FAIL intents
SET status = 'dead',
    error = :error,
    completed_at = :now,
    claim_token = NULL,
    lease_expires_at = NULL,
    done_token_hash = :token_hash,
    done_kind = 'fail',
    updated_at = :now
WHERE id = :id
RETURNING *;

-- name: intent_extend
-- Moves a live lease's expiry.
UPDATE intents
SET lease_expires_at = :lease_expires_at,
    updated_at = :now
WHERE id = :id
  AND status = 'claimed'
  AND claim_token = :claim_token
  AND lease_expires_at > :now
  AND (:lease_owner IS NULL OR lease_owner IS NULL OR lease_owner = :lease_owner)
RETURNING *;

-- name: intent_purge
-- Deletes a batch of terminal intents completed before a time.
DELETE FROM intents
WHERE seq IN (
    SELECT seq
    FROM intents INDEXED BY intents_completed
    WHERE completed_at IS NOT NULL
      AND completed_at < :before
      AND status IN ('fulfilled', 'dead', 'cancelled')
    LIMIT :limit
);

-- name: intent_list_dead
-- Lists dead intents, most recently completed first.
SELECT *
FROM intents INDEXED BY intents_dead
WHERE status = 'dead'
  AND (:owner IS NULL OR owner = :owner)
  AND (:namespace IS NULL OR namespace = :namespace)
ORDER BY completed_at DESC, seq DESC
LIMIT :limit;

-- name: intent_requeue
-- Reopens a dead intent with fresh attempts, due now.
UPDATE intents
SET status = 'open',
    claim_attempts = 0,
    error = NULL,
    completed_at = NULL,
    claim_token = NULL,
    lease_expires_at = NULL,
    result = NULL,
    result_type = NULL,
    run_at = :now,
    done_token_hash = NULL,
    done_kind = NULL,
    updated_at = :now
WHERE id = :id
  AND status = 'dead'
RETURNING *;

-- name: kv_set
-- Stores a tenant's value, replacing any earlier one.
INSERT INTO kv (owner, key, value, expires_at, updated_at)
VALUES (:owner, :key, :value, :expires_at, :now)
ON CONFLICT (owner, key) DO UPDATE
SET value = excluded.value,
    expires_at = excluded.expires_at,
    updated_at = excluded.updated_at;

-- name: kv_get
-- Reads a tenant's live value.
SELECT value
FROM kv
WHERE owner = :owner
  AND key = :key
  AND expires_at > :now;

-- name: kv_purge
-- Deletes a batch of expired entries.
DELETE FROM kv
WHERE (owner, key) IN (
    SELECT owner, key
    FROM kv
    WHERE expires_at <= :now
    LIMIT :limit
);
