-- Cancel, retry-safe completions, tenant-bound leases and the timeline.
-- SQLite cannot change a CHECK constraint in place, so the intents table is
-- rebuilt with the `cancelled` status and the new columns, and its indexes
-- recreated under their old names:
--   lease_owner       the tenant whose key claimed the current lease; only that
--                     tenant may fulfill, fail or extend it.
--   cancel_requested  a cancel arrived while the intent was claimed; the
--                     worker's completion, or the lease expiring, ends it cancelled.
--   done_token_hash   sha256 of the token that completed (fulfill or fail) the
--   done_kind         intent last, and which of the two it was: a retry of that
--                     completion after a lost answer gets the same answer back.
CREATE TABLE intents_v3 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    goal TEXT NOT NULL,
    payload BLOB NOT NULL,
    namespace TEXT NOT NULL,
    visibility TEXT NOT NULL,
    priority INTEGER NOT NULL,
    run_at REAL NOT NULL,
    created_at REAL NOT NULL,
    max_attempts INTEGER NOT NULL,
    backoff_base REAL NOT NULL,
    target_worker TEXT,
    required_capability TEXT,
    status TEXT NOT NULL,
    claim_attempts INTEGER NOT NULL DEFAULT 0,
    claim_token TEXT,
    lease_expires_at REAL,
    worker_id TEXT,
    result BLOB,
    result_type TEXT,
    error TEXT,
    completed_at REAL,
    updated_at REAL NOT NULL,
    lease_owner TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    done_token_hash TEXT,
    done_kind TEXT,
    CONSTRAINT intents_priority_range CHECK (priority BETWEEN 0 AND 1000),
    CONSTRAINT intents_status_known
        CHECK (status IN ('open', 'claimed', 'fulfilled', 'dead', 'cancelled')),
    CONSTRAINT intents_visibility_known CHECK (visibility IN ('private', 'public')),
    CONSTRAINT intents_attempts_positive CHECK (max_attempts >= 1),
    CONSTRAINT intents_terminal_has_completed_at
        CHECK (status NOT IN ('fulfilled', 'dead', 'cancelled') OR completed_at IS NOT NULL),
    CONSTRAINT intents_live_has_no_completed_at
        CHECK (status NOT IN ('open', 'claimed') OR completed_at IS NULL),
    CONSTRAINT intents_claimed_has_lease
        CHECK (status <> 'claimed' OR (claim_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT intents_done_kind_known CHECK (done_kind IN ('fulfill', 'fail'))
);

INSERT INTO intents_v3 (
    seq, id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
    max_attempts, backoff_base, target_worker, required_capability, status,
    claim_attempts, claim_token, lease_expires_at, worker_id, result, result_type,
    error, completed_at, updated_at
)
SELECT
    seq, id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
    max_attempts, backoff_base, target_worker, required_capability, status,
    claim_attempts, claim_token, lease_expires_at, worker_id, result, result_type,
    error, completed_at, updated_at
FROM intents;

DROP TABLE intents;
ALTER TABLE intents_v3 RENAME TO intents;

CREATE INDEX intents_claim_private
    ON intents (owner, namespace, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'private';
CREATE INDEX intents_claim_private_goal
    ON intents (owner, namespace, goal, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'private';
CREATE INDEX intents_claim_public
    ON intents (priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'public';
CREATE INDEX intents_claim_public_goal
    ON intents (goal, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'public';
CREATE INDEX intents_claim_public_owner
    ON intents (owner, priority DESC, run_at, seq)
    WHERE status = 'open' AND visibility = 'public';
CREATE INDEX intents_lease_expiry
    ON intents (lease_expires_at)
    WHERE status = 'claimed';
CREATE INDEX intents_completed
    ON intents (completed_at)
    WHERE completed_at IS NOT NULL;
CREATE INDEX intents_dead
    ON intents (completed_at)
    WHERE status = 'dead';

-- The timeline: one row per change of an intent, written by the same writer
-- operation as the change. Keyed by the intent's seq, so it is read and purged
-- with the intent through one index.
CREATE TABLE intent_events (
    intent_seq INTEGER NOT NULL,
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at REAL NOT NULL,
    worker TEXT,
    attempt INTEGER,
    error TEXT,
    detail TEXT
);
CREATE INDEX intent_events_intent ON intent_events (intent_seq, n);

-- Events are written by triggers, so every change records itself in the very
-- statement that makes it, whichever query or backend path made it. The event
-- types are protocol.EVENT_TYPES. A completion is told from a lease expiry by
-- the completing token's hash, which only fulfill and fail set.
CREATE TRIGGER intent_events_published AFTER INSERT ON intents
BEGIN
    INSERT INTO intent_events (intent_seq, type, at)
    VALUES (NEW.seq, 'published', NEW.updated_at);
END;

CREATE TRIGGER intent_events_changed AFTER UPDATE OF status, cancel_requested ON intents
BEGIN
    INSERT INTO intent_events (intent_seq, type, at, worker, attempt)
    SELECT NEW.seq, 'claimed', NEW.updated_at, NEW.worker_id, NEW.claim_attempts
    WHERE OLD.status = 'open' AND NEW.status = 'claimed';
    INSERT INTO intent_events (intent_seq, type, at, worker, attempt)
    SELECT NEW.seq, 'fulfilled', NEW.updated_at, NEW.worker_id, NEW.claim_attempts
    WHERE OLD.status = 'claimed' AND NEW.status = 'fulfilled';
    INSERT INTO intent_events (intent_seq, type, at, worker, attempt, error)
    SELECT NEW.seq, 'failed', NEW.updated_at, NEW.worker_id, NEW.claim_attempts, NEW.error
    WHERE OLD.status = 'claimed' AND NEW.done_kind = 'fail';
    INSERT INTO intent_events (intent_seq, type, at, worker, attempt)
    SELECT NEW.seq, 'lease_expired', NEW.updated_at, NEW.worker_id, NEW.claim_attempts
    WHERE OLD.status = 'claimed' AND NEW.status <> 'claimed'
      AND NEW.done_token_hash IS NULL;
    INSERT INTO intent_events (intent_seq, type, at, error)
    SELECT NEW.seq, 'dead', NEW.updated_at, NEW.error
    WHERE OLD.status <> 'dead' AND NEW.status = 'dead';
    INSERT INTO intent_events (intent_seq, type, at)
    SELECT NEW.seq, 'cancel_requested', NEW.updated_at
    WHERE NEW.cancel_requested AND NOT OLD.cancel_requested;
    INSERT INTO intent_events (intent_seq, type, at, worker)
    SELECT NEW.seq, 'cancelled', NEW.updated_at,
           CASE WHEN OLD.status = 'claimed' THEN NEW.worker_id END
    WHERE OLD.status <> 'cancelled' AND NEW.status = 'cancelled';
    INSERT INTO intent_events (intent_seq, type, at)
    SELECT NEW.seq, 'requeued', NEW.updated_at
    WHERE OLD.status IN ('dead', 'cancelled') AND NEW.status = 'open';
END;

-- Events go with their intent (retention).
CREATE TRIGGER intent_events_purged AFTER DELETE ON intents
BEGIN
    DELETE FROM intent_events WHERE intent_seq = OLD.seq;
END;
