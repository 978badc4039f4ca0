-- PostgreSQL's migration 0002 tunes autovacuum of the intents table; SQLite has
-- no autovacuum to tune. This file keeps the two dialects' version numbers in
-- step, so a number means the same change on both.
SELECT 1;
