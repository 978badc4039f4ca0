-- SQLite's migration 0012 re-keys its nonces table by time, for the set of
-- nonces its single process keeps in memory. PostgreSQL replicas share no
-- memory: each nonce stays a row keyed (key_id, nonce) that every replica's
-- insert checks (see nonce_fold.py). This file keeps the two dialects' version
-- numbers in step, so a number means the same change on both.
SELECT 1;
