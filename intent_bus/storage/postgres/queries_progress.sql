-- Progress and checkpoints reported with lease extensions (table of migration
-- 0011). The claim returns the checkpoint itself (intent_claim).

-- name: intent_progress_save
-- Records what the lease holder reported; a null field keeps what was saved.
INSERT INTO intent_progress (intent_seq, progress, checkpoint, updated_at)
SELECT seq, CAST(:progress AS BYTEA), CAST(:checkpoint AS BYTEA), :now
FROM intents
WHERE id = :id
ON CONFLICT (intent_seq) DO UPDATE
SET progress = COALESCE(excluded.progress, intent_progress.progress),
    checkpoint = COALESCE(excluded.checkpoint, intent_progress.checkpoint),
    updated_at = excluded.updated_at

-- name: intent_progress_get
-- Reads what the intent's lease holders last reported.
SELECT p.progress, p.checkpoint, p.updated_at
FROM intent_progress p
JOIN intents i ON i.seq = p.intent_seq
WHERE i.id = :id
