-- The timeline written for less per change (issue 9: the claim path stays as fast
-- as before the control API).
--
-- intent_events becomes one b-tree keyed by (intent_seq, n), with n counting an
-- intent's events from 1: a write is one insert where the rowid table, its index
-- and AUTOINCREMENT's sqlite_sequence row were three, and an intent's events are
-- still read and purged by one key range.
CREATE TABLE intent_events_v8 (
    intent_seq INTEGER NOT NULL,
    n INTEGER NOT NULL,
    type TEXT NOT NULL,
    at REAL NOT NULL,
    worker TEXT,
    attempt INTEGER,
    error TEXT,
    detail TEXT,
    PRIMARY KEY (intent_seq, n)
) WITHOUT ROWID;

INSERT INTO intent_events_v8 (intent_seq, n, type, at, worker, attempt, error, detail)
SELECT intent_seq, row_number() OVER (PARTITION BY intent_seq ORDER BY n),
       type, at, worker, attempt, error, detail
FROM intent_events;

DROP TRIGGER intent_events_published;
DROP TRIGGER intent_events_changed;
DROP TRIGGER intent_events_purged;
DROP TABLE intent_events;
ALTER TABLE intent_events_v8 RENAME TO intent_events;

-- The intents table is rebuilt (as in 0003: SQLite cannot change a CHECK in
-- place) for two CHECKs whose IN lists of three or more names made SQLite build
-- a temporary lookup table on every row written; they now compare name by name.
-- Columns, other constraints and indexes are 0003's and 0004's, under their names.
CREATE TABLE intents_v8 (
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
        CHECK (status = 'open' OR status = 'claimed' OR status = 'fulfilled'
               OR status = 'dead' OR status = 'cancelled'),
    CONSTRAINT intents_visibility_known CHECK (visibility IN ('private', 'public')),
    CONSTRAINT intents_attempts_positive CHECK (max_attempts >= 1),
    CONSTRAINT intents_terminal_has_completed_at
        CHECK (completed_at IS NOT NULL
               OR (status <> 'fulfilled' AND status <> 'dead' AND status <> 'cancelled')),
    CONSTRAINT intents_live_has_no_completed_at
        CHECK (status NOT IN ('open', 'claimed') OR completed_at IS NULL),
    CONSTRAINT intents_claimed_has_lease
        CHECK (status <> 'claimed' OR (claim_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT intents_done_kind_known CHECK (done_kind IN ('fulfill', 'fail'))
);

INSERT INTO intents_v8
SELECT seq, id, owner, goal, payload, namespace, visibility, priority, run_at, created_at,
       max_attempts, backoff_base, target_worker, required_capability, status,
       claim_attempts, claim_token, lease_expires_at, worker_id, result, result_type,
       error, completed_at, updated_at, lease_owner, cancel_requested, done_token_hash,
       done_kind
FROM intents;

-- A purged newest intent's seq stays used: the counter carries over, not max(seq).
UPDATE sqlite_sequence
SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'intents'), 0))
WHERE name = 'intents_v8';

DROP TABLE intents;
ALTER TABLE intents_v8 RENAME TO intents;

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
CREATE INDEX intents_search_owner ON intents (owner, seq);
CREATE INDEX intents_search_owner_status ON intents (owner, status, seq);
CREATE INDEX intents_search_owner_goal ON intents (owner, goal, seq);
CREATE INDEX intents_search_owner_namespace ON intents (owner, namespace, seq);
CREATE INDEX intents_search_owner_worker
    ON intents (owner, worker_id, seq)
    WHERE worker_id IS NOT NULL;
CREATE INDEX intents_stats ON intents (owner, goal, namespace, status, created_at);

CREATE TRIGGER intent_events_published AFTER INSERT ON intents
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at)
    VALUES (NEW.seq, 1, 'published', NEW.updated_at);
END;

CREATE TRIGGER intent_events_purged AFTER DELETE ON intents
BEGIN
    DELETE FROM intent_events WHERE intent_seq = OLD.seq;
END;

-- One trigger per kind of change, each with a WHEN: a change runs the one or two
-- inserts it makes, where one trigger of nine guarded inserts ran them all. The
-- conditions and their order are 0003's: SQLite fires the triggers of one change
-- newest first, so they are created in reverse, and a change that makes two
-- events (failed, then dead) records them in 0003's order.
CREATE TRIGGER intent_events_requeued AFTER UPDATE OF status ON intents
WHEN OLD.status IN ('dead', 'cancelled') AND NEW.status = 'open'
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'requeued', NEW.updated_at);
END;

CREATE TRIGGER intent_events_cancelled AFTER UPDATE OF status ON intents
WHEN OLD.status <> 'cancelled' AND NEW.status = 'cancelled'
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at, worker)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'cancelled', NEW.updated_at,
            CASE WHEN OLD.status = 'claimed' THEN NEW.worker_id END);
END;

CREATE TRIGGER intent_events_cancel_requested AFTER UPDATE OF cancel_requested ON intents
WHEN NEW.cancel_requested AND NOT OLD.cancel_requested
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'cancel_requested', NEW.updated_at);
END;

CREATE TRIGGER intent_events_dead AFTER UPDATE OF status ON intents
WHEN OLD.status <> 'dead' AND NEW.status = 'dead'
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at, error)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'dead', NEW.updated_at, NEW.error);
END;

CREATE TRIGGER intent_events_lease_expired AFTER UPDATE OF status ON intents
WHEN OLD.status = 'claimed' AND NEW.status <> 'claimed' AND NEW.done_token_hash IS NULL
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at, worker, attempt)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'lease_expired', NEW.updated_at, NEW.worker_id, NEW.claim_attempts);
END;

CREATE TRIGGER intent_events_failed AFTER UPDATE OF status ON intents
WHEN OLD.status = 'claimed' AND NEW.done_kind = 'fail'
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at, worker, attempt, error)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'failed', NEW.updated_at, NEW.worker_id, NEW.claim_attempts, NEW.error);
END;

CREATE TRIGGER intent_events_fulfilled AFTER UPDATE OF status ON intents
WHEN OLD.status = 'claimed' AND NEW.status = 'fulfilled'
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at, worker, attempt)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'fulfilled', NEW.updated_at, NEW.worker_id, NEW.claim_attempts);
END;

CREATE TRIGGER intent_events_claimed AFTER UPDATE OF status ON intents
WHEN OLD.status = 'open' AND NEW.status = 'claimed'
BEGIN
    INSERT INTO intent_events (intent_seq, n, type, at, worker, attempt)
    VALUES (NEW.seq, (SELECT max(n) + 1 FROM intent_events WHERE intent_seq = NEW.seq),
            'claimed', NEW.updated_at, NEW.worker_id, NEW.claim_attempts);
END;
