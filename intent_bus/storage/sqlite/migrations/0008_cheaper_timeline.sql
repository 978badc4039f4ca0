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
