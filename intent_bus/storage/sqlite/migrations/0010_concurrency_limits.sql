-- Concurrency limits: at most max_running of an owner's intents of one namespace
-- and goal are claimed at once, and at most max_per_key of them share a
-- concurrency_key (a publish field, e.g. a customer id). Claims count running
-- intents only where a limit exists, through intents_search_owner_status
-- (owner, status): claimed rows are few, so no index is added to the claim path.

ALTER TABLE intents ADD COLUMN concurrency_key TEXT;

CREATE TABLE concurrency_limits (
    owner TEXT NOT NULL,
    namespace TEXT NOT NULL,
    goal TEXT NOT NULL,
    max_running INTEGER NOT NULL,
    max_per_key INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (owner, namespace, goal),
    CONSTRAINT concurrency_limits_max_running_positive CHECK (max_running >= 1),
    CONSTRAINT concurrency_limits_max_per_key_positive
        CHECK (max_per_key IS NULL OR max_per_key >= 1)
);
