-- The owner name 'admin' belongs to admin keys alone: a tenant key with it could
-- read and claim the admin's intents. A tenant key created with it before now
-- becomes tenant 'admin.tenant'. Intents and KV entries stored under 'admin'
-- cannot be told apart from the admin's own (they do not record the key), so
-- they stay with the admin rather than be handed to a tenant.
UPDATE api_keys
SET owner = 'admin.tenant'
WHERE role = 'tenant'
  AND owner = 'admin';

ALTER TABLE api_keys
ADD CONSTRAINT api_keys_admin_owner_reserved CHECK (role = 'admin' OR owner <> 'admin');
