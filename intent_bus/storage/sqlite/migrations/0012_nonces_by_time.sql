-- Nonces keyed by when they were seen. The server now checks a nonce against
-- the set it keeps in memory (one process owns an SQLite file; see
-- sqlite/nonces.py); this table is the durable copy it reloads at start. Keyed
-- (key_id, nonce), every insert landed on a random page of a large b-tree and a
-- second index kept the purge order: two pages written per signed request, and
-- written again at every checkpoint. Keyed by time first, inserts append to the
-- last page and a purge trims the head of the same b-tree.
CREATE TABLE nonces_v12 (
    seen_at REAL NOT NULL,
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    PRIMARY KEY (seen_at, key_id, nonce)
) WITHOUT ROWID;

INSERT INTO nonces_v12 (seen_at, key_id, nonce)
SELECT seen_at, key_id, nonce
FROM nonces;

DROP TABLE nonces;
ALTER TABLE nonces_v12 RENAME TO nonces;
