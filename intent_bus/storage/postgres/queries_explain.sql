-- GET /explain/<id>: how many due intents of the same queue a claim takes first.

-- name: intent_ahead_private
-- Due private intents of its tenant and namespace that come first.
SELECT COUNT(*) AS n
FROM intents AS me, intents AS ahead
WHERE me.id = :id
  AND ahead.status = 'open'
  AND ahead.visibility = 'private'
  AND ahead.owner = me.owner
  AND ahead.namespace = me.namespace
  AND ahead.run_at <= :now
  AND (ahead.priority > me.priority
       OR (ahead.priority = me.priority
           AND (ahead.run_at < me.run_at
                OR (ahead.run_at = me.run_at AND ahead.seq < me.seq))))

-- name: intent_ahead_public
-- Due public intents that come first.
SELECT COUNT(*) AS n
FROM intents AS me, intents AS ahead
WHERE me.id = :id
  AND ahead.status = 'open'
  AND ahead.visibility = 'public'
  AND ahead.run_at <= :now
  AND (ahead.priority > me.priority
       OR (ahead.priority = me.priority
           AND (ahead.run_at < me.run_at
                OR (ahead.run_at = me.run_at AND ahead.seq < me.seq))))

-- name: intent_open_public
-- The first open public intents in claim order (GET /explain/claim samples them).
SELECT *
FROM intents
WHERE status = 'open'
  AND visibility = 'public'
ORDER BY priority DESC, run_at, seq
LIMIT :limit
