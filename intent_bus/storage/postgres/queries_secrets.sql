-- Secrets at rest: sealing plaintext keys and rotating the key-encryption key.

-- name: key_secret_rows
-- Every key's stored lookup value and sealed secret, locked until commit.
SELECT id, secret, secret_sealed
FROM api_keys
ORDER BY id
FOR UPDATE

-- name: key_secret_set
-- Replaces a key's lookup value and sealed secret.
UPDATE api_keys
SET secret = :secret, secret_sealed = :secret_sealed
WHERE id = :id
