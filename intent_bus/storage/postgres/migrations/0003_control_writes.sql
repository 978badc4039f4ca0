-- Cancel, retry-safe completions, tenant-bound leases and the timeline.
--   lease_owner       the tenant whose key claimed the current lease; only that
--                     tenant may fulfill, fail or extend it.
--   cancel_requested  a cancel arrived while the intent was claimed; the
--                     worker's completion, or the lease expiring, ends it cancelled.
--   done_token_hash   sha256 of the token that completed (fulfill or fail) the
--   done_kind         intent last, and which of the two it was: a retry of that
--                     completion after a lost answer gets the same answer back.
-- Adding nullable or defaulted columns rewrites nothing; the constraints are
-- swapped in the same transaction.
ALTER TABLE intents
    ADD COLUMN lease_owner TEXT,
    ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN done_token_hash TEXT,
    ADD COLUMN done_kind TEXT;

ALTER TABLE intents
    DROP CONSTRAINT intents_status_known,
    ADD CONSTRAINT intents_status_known
        CHECK (status IN ('open', 'claimed', 'fulfilled', 'dead', 'cancelled')),
    DROP CONSTRAINT intents_terminal_has_completed_at,
    ADD CONSTRAINT intents_terminal_has_completed_at
        CHECK (status NOT IN ('fulfilled', 'dead', 'cancelled') OR completed_at IS NOT NULL),
    ADD CONSTRAINT intents_done_kind_known CHECK (done_kind IN ('fulfill', 'fail'));

-- The timeline: one row per change of an intent, written in the same statement
-- or transaction as the change. Keyed by the intent's seq, so it is read and
-- purged with the intent through one index.
CREATE TABLE intent_events (
    intent_seq BIGINT NOT NULL,
    n BIGSERIAL PRIMARY KEY,
    type TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    worker TEXT,
    attempt INTEGER,
    error TEXT,
    detail TEXT
);
CREATE INDEX intent_events_intent ON intent_events (intent_seq, n);

-- Events are written by a trigger, so every change records itself in the very
-- statement that makes it, whichever query or replica made it. The event types
-- are protocol.EVENT_TYPES. A completion is told from a lease expiry by the
-- completing token's hash, which only fulfill and fail set.
CREATE FUNCTION intent_events_record() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM intent_events WHERE intent_seq = OLD.seq;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO intent_events (intent_seq, type, at)
        VALUES (NEW.seq, 'published', NEW.updated_at);
        RETURN NULL;
    END IF;
    IF OLD.status = 'open' AND NEW.status = 'claimed' THEN
        INSERT INTO intent_events (intent_seq, type, at, worker, attempt)
        VALUES (NEW.seq, 'claimed', NEW.updated_at, NEW.worker_id, NEW.claim_attempts);
    END IF;
    IF OLD.status = 'claimed' AND NEW.status = 'fulfilled' THEN
        INSERT INTO intent_events (intent_seq, type, at, worker, attempt)
        VALUES (NEW.seq, 'fulfilled', NEW.updated_at, NEW.worker_id, NEW.claim_attempts);
    END IF;
    IF OLD.status = 'claimed' AND NEW.done_kind = 'fail' THEN
        INSERT INTO intent_events (intent_seq, type, at, worker, attempt, error)
        VALUES (NEW.seq, 'failed', NEW.updated_at, NEW.worker_id, NEW.claim_attempts,
                NEW.error);
    END IF;
    IF OLD.status = 'claimed' AND NEW.status <> 'claimed'
       AND NEW.done_token_hash IS NULL THEN
        INSERT INTO intent_events (intent_seq, type, at, worker, attempt)
        VALUES (NEW.seq, 'lease_expired', NEW.updated_at, NEW.worker_id,
                NEW.claim_attempts);
    END IF;
    IF OLD.status <> 'dead' AND NEW.status = 'dead' THEN
        INSERT INTO intent_events (intent_seq, type, at, error)
        VALUES (NEW.seq, 'dead', NEW.updated_at, NEW.error);
    END IF;
    IF NEW.cancel_requested AND NOT OLD.cancel_requested THEN
        INSERT INTO intent_events (intent_seq, type, at)
        VALUES (NEW.seq, 'cancel_requested', NEW.updated_at);
    END IF;
    IF OLD.status <> 'cancelled' AND NEW.status = 'cancelled' THEN
        INSERT INTO intent_events (intent_seq, type, at, worker)
        VALUES (NEW.seq, 'cancelled', NEW.updated_at,
                CASE WHEN OLD.status = 'claimed' THEN NEW.worker_id END);
    END IF;
    IF OLD.status IN ('dead', 'cancelled') AND NEW.status = 'open' THEN
        INSERT INTO intent_events (intent_seq, type, at)
        VALUES (NEW.seq, 'requeued', NEW.updated_at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER intent_events_published AFTER INSERT ON intents
    FOR EACH ROW EXECUTE FUNCTION intent_events_record();
CREATE TRIGGER intent_events_changed AFTER UPDATE OF status, cancel_requested ON intents
    FOR EACH ROW EXECUTE FUNCTION intent_events_record();
CREATE TRIGGER intent_events_purged AFTER DELETE ON intents
    FOR EACH ROW EXECUTE FUNCTION intent_events_record();
