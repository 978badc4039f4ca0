-- The owner name 'admin' belongs to admin keys alone: a tenant key with it could
-- read and claim the admin's intents. A tenant key created with it before now
-- becomes tenant 'admin.tenant'. Intents and KV entries stored under 'admin'
-- cannot be told apart from the admin's own (they do not record the key), so
-- they stay with the admin rather than be handed to a tenant.
UPDATE api_keys
SET owner = 'admin.tenant'
WHERE role = 'tenant'
  AND owner = 'admin';

-- SQLite cannot add a CHECK to an existing table; these triggers are that check.
CREATE TRIGGER api_keys_admin_owner_reserved_insert
BEFORE INSERT ON api_keys
WHEN NEW.role <> 'admin' AND NEW.owner = 'admin'
BEGIN
    SELECT RAISE(ABORT, 'api_keys_admin_owner_reserved');
END;

CREATE TRIGGER api_keys_admin_owner_reserved_update
BEFORE UPDATE OF owner, role ON api_keys
WHEN NEW.role <> 'admin' AND NEW.owner = 'admin'
BEGIN
    SELECT RAISE(ABORT, 'api_keys_admin_owner_reserved');
END;
