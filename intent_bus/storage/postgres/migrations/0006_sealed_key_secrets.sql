-- API key secrets at rest: `secret` now holds a keyed hash of the secret (what a
-- presented key is found by) and `secret_sealed` the secret encrypted with the
-- server's key-encryption key. Rows of older versions keep their plaintext in
-- `secret` with `secret_sealed` NULL until the server's first start seals them.
ALTER TABLE api_keys ADD COLUMN secret_sealed BYTEA;
