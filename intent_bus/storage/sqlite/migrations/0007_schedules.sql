-- Cron schedules and the ticks they published. A tick is identified by its schedule
-- and its scheduled time: the primary key of schedule_ticks is what makes firing
-- exactly once (a tick recorded twice fails the transaction that publishes it).

CREATE TABLE schedules (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    cron TEXT NOT NULL,
    timezone TEXT NOT NULL,
    intent BLOB NOT NULL,
    overlap TEXT NOT NULL,
    catch_up TEXT NOT NULL,
    paused INTEGER NOT NULL,
    next_fire_at REAL NOT NULL,
    last_scheduled_for REAL,
    last_intent_id TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (owner, name),
    CONSTRAINT schedules_overlap_known CHECK (overlap IN ('allow', 'skip')),
    CONSTRAINT schedules_catch_up_known CHECK (catch_up IN ('none', 'latest', 'all')),
    CONSTRAINT schedules_paused_bool CHECK (paused IN (0, 1))
);

CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE paused = 0;

CREATE TABLE schedule_ticks (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    scheduled_for REAL NOT NULL,
    intent_id TEXT NOT NULL,
    fired_at REAL NOT NULL,
    CONSTRAINT schedule_ticks_once PRIMARY KEY (owner, name, scheduled_for)
);

CREATE INDEX schedule_ticks_intent ON schedule_ticks (intent_id);
CREATE INDEX schedule_ticks_fired ON schedule_ticks (fired_at);
