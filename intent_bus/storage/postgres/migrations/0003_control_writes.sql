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
