-- A server identity (schema 5): a device remembers which server its changelog
-- position belongs to. One that last synced with another server (a new address
-- in Settings, `--database-url`, a database recreated at the same address)
-- cannot use that position here, where the rows written before it would never
-- be read; seeing another identity, it reads this server whole once, keeping
-- and pushing its unpushed edits. A fresh random value per database.
ALTER TABLE noesis_sync.server_info ADD COLUMN IF NOT EXISTS server_id UUID NOT NULL DEFAULT gen_random_uuid();

UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, 5), updated_at = now();
