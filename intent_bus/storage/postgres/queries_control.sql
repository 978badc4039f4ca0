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

-- name: intent_visible
-- Reads an intent if the caller may see it (:owner NULL: the admin, any).
SELECT *
FROM intents
WHERE id = :id
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)

-- name: intent_cancel_open
-- Cancels an open intent at once: terminal, never claimed again.
UPDATE intents
SET status = 'cancelled',
    completed_at = :now,
    done_token_hash = NULL,
    done_kind = NULL,
    updated_at = :now
WHERE id = :id
  AND status = 'open'
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
RETURNING *

-- name: intent_cancel_claimed
-- Asks the worker holding a claimed intent to stop: its completion, or the
-- lease expiring, then ends the intent cancelled.
UPDATE intents
SET cancel_requested = TRUE,
    updated_at = :now
WHERE id = :id
  AND status = 'claimed'
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
RETURNING *

-- name: intent_reopen
-- Reopens a dead or cancelled intent with fresh attempts, due now.
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
    cancel_requested = FALSE,
    done_token_hash = NULL,
    done_kind = NULL,
    updated_at = :now
WHERE id = :id
  AND status IN ('dead', 'cancelled')
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
RETURNING *
