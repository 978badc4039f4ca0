-- Cron schedules (migration 0007). Replicas fire at once: a due schedule is locked
-- with FOR UPDATE SKIP LOCKED, so each is fired by one replica at a time.

-- name: schedule_upsert
-- Creates a schedule or replaces its definition, keeping created_at and its last tick.
INSERT INTO schedules (
    owner, name, cron, timezone, intent, overlap, catch_up, paused, next_fire_at,
    last_scheduled_for, last_intent_id, created_at, updated_at
)
VALUES (
    :owner, :name, :cron, :timezone, :intent, :overlap, :catch_up, :paused,
    :next_fire_at, :last_scheduled_for, :last_intent_id, :created_at, :updated_at
)
ON CONFLICT (owner, name) DO UPDATE
SET cron = excluded.cron,
    timezone = excluded.timezone,
    intent = excluded.intent,
    overlap = excluded.overlap,
    catch_up = excluded.catch_up,
    paused = excluded.paused,
    next_fire_at = excluded.next_fire_at,
    updated_at = excluded.updated_at;

-- name: schedule_get
-- Reads one schedule of an owner.
SELECT *
FROM schedules
WHERE owner = :owner
  AND name = :name;

-- name: schedule_lock
-- Reads and locks one schedule of an owner for an update in the same transaction.
SELECT *
FROM schedules
WHERE owner = :owner
  AND name = :name
FOR UPDATE;

-- name: schedule_list
-- Lists an owner's schedules (everyone's when :owner is NULL).
SELECT *
FROM schedules
WHERE CAST(:owner AS TEXT) IS NULL
   OR owner = :owner
ORDER BY owner, name;

-- name: schedule_delete
-- Deletes one schedule of an owner; returns its name when it existed.
DELETE FROM schedules
WHERE owner = :owner
  AND name = :name
RETURNING name;

-- name: schedule_ticks_delete
-- Forgets the ticks of a deleted schedule.
DELETE FROM schedule_ticks
WHERE owner = :owner
  AND name = :name;

-- name: schedule_due
-- Picks and locks the most overdue unpaused schedule no other replica is firing.
SELECT *
FROM schedules
WHERE NOT paused
  AND next_fire_at <= :now
ORDER BY next_fire_at
LIMIT 1
FOR UPDATE SKIP LOCKED;

-- name: schedule_previous_live
-- Answers a row when the schedule's last published intent is not yet terminal.
SELECT 1
FROM intents
WHERE id = :id
  AND status IN ('open', 'claimed');

-- name: schedule_tick_insert
-- Records a tick about to be published; returns no row when it was recorded before
-- (published already: the caller then publishes nothing).
INSERT INTO schedule_ticks (owner, name, scheduled_for, intent_id, fired_at)
VALUES (:owner, :name, :scheduled_for, :intent_id, :fired_at)
ON CONFLICT (owner, name, scheduled_for) DO NOTHING
RETURNING intent_id;

-- name: schedule_tick_event
-- Says in the intent's `published` event which schedule and tick published it.
UPDATE intent_events
SET detail = :detail
WHERE intent_seq = (SELECT seq FROM intents WHERE id = :intent_id)
  AND type = 'published';

-- name: schedule_advance
-- Moves a schedule to its next tick and remembers the last one it published.
UPDATE schedules
SET next_fire_at = :next_fire_at,
    last_scheduled_for = coalesce(CAST(:last_scheduled_for AS DOUBLE PRECISION), last_scheduled_for),
    last_intent_id = coalesce(CAST(:last_intent_id AS TEXT), last_intent_id)
WHERE owner = :owner
  AND name = :name;

-- name: schedule_tick_of
-- Reads the tick that published an intent.
SELECT *
FROM schedule_ticks
WHERE intent_id = :intent_id;

-- name: schedule_tick_purge
-- Deletes a batch of tick records fired before a time.
DELETE FROM schedule_ticks
WHERE (owner, name, scheduled_for) IN (
    SELECT owner, name, scheduled_for
    FROM schedule_ticks
    WHERE fired_at < :before
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
);
