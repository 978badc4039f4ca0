-- Vacuum the queue table early. Every claim and completion moves a row out of the
-- partial indexes on open/claimed rows, leaving a dead entry at the head of the
-- claim order; until vacuum removes them, each claim steps over them. The default
-- (20% of the table) lets a large history postpone that for a long time.
ALTER TABLE intents SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.02
);
