-- The control API's writes: retry-safe completions, cancel and requeue.

-- name: intent_completed_by
-- Reads an intent that the token (by its hash) completed last, with that kind of
-- completion, if the lease's tenant is the caller: a retried fulfill or fail.
SELECT *
FROM intents
WHERE id = :id
  AND done_token_hash = :token_hash
  AND (CAST(:lease_owner AS TEXT) IS NULL OR lease_owner IS NULL OR lease_owner = :lease_owner)

-- name: intent_fail_cancel
-- Ends a failed intent whose cancel was requested while it was claimed.
UPDATE intents
SET status = 'cancelled',
    error = :error,
    completed_at = :now,
    claim_token = NULL,
    lease_expires_at = NULL,
    done_token_hash = :token_hash,
    done_kind = 'fail',
    updated_at = :now
WHERE id = :id
RETURNING *
