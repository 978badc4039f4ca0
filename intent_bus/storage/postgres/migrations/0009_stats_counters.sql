-- GET /stats in O(groups), not O(intents). See docs/internals/stats.md.
--
-- Counts per (owner, namespace, goal, status) and fulfilled intents per minute
-- are kept in two small tables. Several replicas claim and complete at once, so
-- triggers do not update a counter row (every claim of a group would wait on
-- that row's lock until its transaction commits): they only append a change
-- row to intent_count_changes, which nothing else locks. Housekeeping folds the
-- changes into the tables (one replica at a time, under an advisory lock), and
-- readers add the changes not folded yet: counts are exact in every snapshot.
-- The oldest open intent of a group is the first entry of a partial index that
-- holds open intents only.

CREATE TABLE intent_counts (
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (owner, namespace, goal, status)
);

-- Fulfilled intents per group and minute (floor(completed_at / 60)). Only the
-- last hour is read; housekeeping forgets older minutes.
CREATE TABLE intent_completions (
    minute BIGINT NOT NULL,
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (minute, owner, namespace, goal)
);

-- n intents of a group left one status (NULL: they were inserted) and entered
-- another (NULL: they were deleted); a fulfilled one left or entered the
-- completions of its minute. Insert-only between folds, no index: appending
-- is all a writer does.
CREATE TABLE intent_count_changes (
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    left_status TEXT,
    entered_status TEXT,
    left_minute BIGINT,
    entered_minute BIGINT,
    n BIGINT NOT NULL
);

-- Emptied every housekeeping pass: vacuum it as often as that leaves dead rows.
ALTER TABLE intent_count_changes SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 5000
);

-- Owner, namespace and goal never change after publication, and completed_at is
-- only ever written together with a status change (the CHECK constraints tie it
-- to the status; a fulfilled intent leaves that status only by retention): a
-- status change is all that moves an intent between counters.
CREATE FUNCTION intent_count_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO intent_count_changes
            (owner, namespace, goal, entered_status, entered_minute, n)
        VALUES (
            NEW.owner, NEW.namespace, NEW.goal, NEW.status,
            CASE WHEN NEW.status = 'fulfilled' THEN floor(NEW.completed_at / 60) END, 1
        );
    ELSE
        INSERT INTO intent_count_changes VALUES (
            NEW.owner, NEW.namespace, NEW.goal, OLD.status, NEW.status,
            CASE WHEN OLD.status = 'fulfilled' THEN floor(OLD.completed_at / 60) END,
            CASE WHEN NEW.status = 'fulfilled' THEN floor(NEW.completed_at / 60) END,
            1
        );
    END IF;
    RETURN NULL;
END;
$$;

-- Retention deletes thousands of rows a statement: one change row per group.
CREATE FUNCTION intent_count_purge() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO intent_count_changes (owner, namespace, goal, left_status, left_minute, n)
    SELECT owner, namespace, goal, status,
           CASE WHEN status = 'fulfilled' THEN floor(completed_at / 60) END, COUNT(*)
    FROM purged
    GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END;
$$;

CREATE TRIGGER intent_counts_published AFTER INSERT ON intents
    FOR EACH ROW EXECUTE FUNCTION intent_count_change();
-- WHEN is checked without calling the function: lease extensions cost nothing.
CREATE TRIGGER intent_counts_changed AFTER UPDATE OF status ON intents
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION intent_count_change();
CREATE TRIGGER intent_counts_purged AFTER DELETE ON intents
    REFERENCING OLD TABLE AS purged
    FOR EACH STATEMENT EXECUTE FUNCTION intent_count_purge();

-- One pass over the history at upgrade time. The triggers above already hold
-- the lock that keeps other replicas' writes out until this commits.
INSERT INTO intent_counts (owner, namespace, goal, status, n)
SELECT owner, namespace, goal, status, COUNT(*)
FROM intents
GROUP BY owner, namespace, goal, status;

INSERT INTO intent_completions (minute, owner, namespace, goal, n)
SELECT floor(completed_at / 60), owner, namespace, goal, COUNT(*)
FROM intents
WHERE completed_at IS NOT NULL
  AND completed_at >= extract(epoch FROM now()) - 7200
  AND status = 'fulfilled'
GROUP BY 1, 2, 3, 4;

-- The oldest open intent of one group: the first entry of its range here.
CREATE INDEX intents_open_age
    ON intents (owner, namespace, goal, created_at)
    WHERE status = 'open';

-- Counting no longer reads intents, and this index cost every status change.
DROP INDEX intents_stats;
