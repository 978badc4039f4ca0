-- The timeline: events are written by the triggers of migration 0003; this
-- file only reads them.

-- name: intent_event_list
-- An intent's events, oldest first.
SELECT type, at, worker, attempt, error, detail
FROM intent_events
WHERE intent_seq = (SELECT seq FROM intents WHERE id = :id)
ORDER BY n;
