-- GET /stats in O(groups), not O(intents): counts per (owner, namespace, goal,
-- status) and completions per minute are kept by triggers in the very statement
-- that changes an intent, whichever query made the change (publish, claim,
-- completion, lease expiry, cancel, requeue, bulk actions, retention), so they
-- are exact in every snapshot. SQLite has one writer: the trigger updates the
-- counter row in place. The oldest open intent of a group is the first entry of
-- a partial index holding open intents only. See docs/internals/stats.md.

CREATE TABLE intent_counts (
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (owner, namespace, goal, status)
) WITHOUT ROWID;

-- Fulfilled intents per group and minute (floor(completed_at / 60)). Only the
-- last hour is read; housekeeping forgets minutes older than two, so the table
-- holds at most ~120 rows per group and is read in key order (grouped without
-- a sort), one owner's by a range.
CREATE TABLE intent_completions (
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    minute INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (owner, namespace, goal, minute)
) WITHOUT ROWID;

-- Owner, namespace and goal never change after publication, and completed_at is
-- only ever written together with a status change (the CHECK constraints tie it
-- to the status; a fulfilled intent leaves that status only by retention): a
-- status change is all that moves an intent between counters. One trigger, two
-- rows in one upsert, so the claim path runs as few trigger programs as it can.
CREATE TRIGGER intent_counts_published AFTER INSERT ON intents
BEGIN
    INSERT INTO intent_counts (owner, namespace, goal, status, n)
    VALUES (NEW.owner, NEW.namespace, NEW.goal, NEW.status, 1)
    ON CONFLICT (owner, namespace, goal, status) DO UPDATE SET n = n + 1;
    INSERT INTO intent_completions (minute, owner, namespace, goal, n)
    SELECT CAST(NEW.completed_at / 60 AS INTEGER), NEW.owner, NEW.namespace, NEW.goal, 1
    WHERE NEW.status = 'fulfilled'
    ON CONFLICT (owner, namespace, goal, minute) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER intent_counts_changed AFTER UPDATE OF status ON intents
WHEN OLD.status <> NEW.status
BEGIN
    INSERT INTO intent_counts (owner, namespace, goal, status, n)
    VALUES (OLD.owner, OLD.namespace, OLD.goal, OLD.status, -1),
           (NEW.owner, NEW.namespace, NEW.goal, NEW.status, 1)
    ON CONFLICT (owner, namespace, goal, status) DO UPDATE SET n = n + excluded.n;
    INSERT INTO intent_completions (owner, namespace, goal, minute, n)
    SELECT NEW.owner, NEW.namespace, NEW.goal, CAST(NEW.completed_at / 60 AS INTEGER), 1
    WHERE NEW.status = 'fulfilled'
    ON CONFLICT (owner, namespace, goal, minute) DO UPDATE SET n = n + 1;
    UPDATE intent_completions SET n = n - 1
    WHERE OLD.status = 'fulfilled'
      AND owner = OLD.owner AND namespace = OLD.namespace AND goal = OLD.goal
      AND minute = CAST(OLD.completed_at / 60 AS INTEGER);
END;

CREATE TRIGGER intent_counts_purged AFTER DELETE ON intents
BEGIN
    UPDATE intent_counts SET n = n - 1
    WHERE owner = OLD.owner AND namespace = OLD.namespace AND goal = OLD.goal
      AND status = OLD.status;
    UPDATE intent_completions SET n = n - 1
    WHERE OLD.status = 'fulfilled'
      AND minute = CAST(OLD.completed_at / 60 AS INTEGER)
      AND owner = OLD.owner AND namespace = OLD.namespace AND goal = OLD.goal;
END;

-- One pass over the history at upgrade time; the triggers keep it from now on.
INSERT INTO intent_counts (owner, namespace, goal, status, n)
SELECT owner, namespace, goal, status, COUNT(*)
FROM intents
GROUP BY owner, namespace, goal, status;

INSERT INTO intent_completions (minute, owner, namespace, goal, n)
SELECT CAST(completed_at / 60 AS INTEGER) AS minute, owner, namespace, goal, COUNT(*)
FROM intents INDEXED BY intents_completed
WHERE completed_at IS NOT NULL
  AND completed_at >= CAST(strftime('%s', 'now') AS REAL) - 7200
  AND status = 'fulfilled'
GROUP BY minute, owner, namespace, goal;

-- The oldest open intent of one group: the first entry of its range here.
CREATE INDEX intents_open_age
    ON intents (owner, namespace, goal, created_at)
    WHERE status = 'open';

-- Counting no longer reads intents, and this index cost every status change.
DROP INDEX intents_stats;
