-- Progress and checkpoints reported with lease extensions (table of migration
-- 0011). A claim reads the checkpoint with intent_checkpoint, in its transaction.

-- name: intent_progress_save
-- Records what the lease holder reported; a null field keeps what was saved.
INSERT INTO intent_progress (intent_seq, progress, checkpoint, updated_at)
SELECT seq, :progress, :checkpoint, :now
FROM intents
WHERE id = :id
ON CONFLICT (intent_seq) DO UPDATE
SET progress = COALESCE(excluded.progress, intent_progress.progress),
    checkpoint = COALESCE(excluded.checkpoint, intent_progress.checkpoint),
    updated_at = excluded.updated_at;

-- name: intent_progress_get
-- Reads what the intent's lease holders last reported.
SELECT p.progress, p.checkpoint, p.updated_at
FROM intent_progress p
JOIN intents i ON i.seq = p.intent_seq
WHERE i.id = :id;

-- name: intent_checkpoint
-- Reads the checkpoint a claim hands back (PostgreSQL returns it from the claim).
SELECT checkpoint
FROM intent_progress
WHERE intent_seq = :seq;
