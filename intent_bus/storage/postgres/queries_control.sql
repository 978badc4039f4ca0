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

-- name: intent_bulk_count
-- Counts the intents a bulk action's filter matches (:owner NULL: any owner;
-- :error_pattern a lowercase LIKE pattern).
SELECT COUNT(*) AS n
FROM intents
WHERE status = :status
  AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
  AND (CAST(:goal AS TEXT) IS NULL OR goal = :goal)
  AND (CAST(:namespace AS TEXT) IS NULL OR namespace = :namespace)
  AND (CAST(:error_pattern AS TEXT) IS NULL OR lower(error) LIKE :error_pattern ESCAPE '\')

-- name: intent_bulk_requeue
-- Reopens up to :limit dead intents matching the filter, with fresh attempts.
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
WHERE seq IN (
    SELECT seq
    FROM intents
    WHERE status = 'dead'
      AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
      AND (CAST(:goal AS TEXT) IS NULL OR goal = :goal)
      AND (CAST(:namespace AS TEXT) IS NULL OR namespace = :namespace)
      AND (CAST(:error_pattern AS TEXT) IS NULL OR lower(error) LIKE :error_pattern ESCAPE '\')
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)

-- name: intent_bulk_cancel
-- Cancels up to :limit open intents matching the filter.
UPDATE intents
SET status = 'cancelled',
    completed_at = :now,
    done_token_hash = NULL,
    done_kind = NULL,
    updated_at = :now
WHERE seq IN (
    SELECT seq
    FROM intents
    WHERE status = 'open'
      AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner)
      AND (CAST(:goal AS TEXT) IS NULL OR goal = :goal)
      AND (CAST(:namespace AS TEXT) IS NULL OR namespace = :namespace)
      AND (CAST(:error_pattern AS TEXT) IS NULL OR lower(error) LIKE :error_pattern ESCAPE '\')
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
