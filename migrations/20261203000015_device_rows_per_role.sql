-- A device's own rows are its own (per login role): with one device role per
-- laptop (`setup --device-role NAME` for each), a stolen laptop's role can no
-- longer rewrite another device's row in noesis_sync.devices (its last_op_id,
-- which made the victim's next sync revert its edits; its cursor; its
-- last_seen) nor read, forge or delete that device's push receipts. A row
-- records the role that wrote it first; rows from before this migration are
-- unclaimed ('') and taken by the next role that updates them (their own
-- device, at its next sync). The table owner (setup, the Python server, a
-- device syncing as the owner) is not bound by these policies.
ALTER TABLE noesis_sync.devices ADD COLUMN IF NOT EXISTS owner_role TEXT NOT NULL DEFAULT '';

-- Claims an unclaimed row for the writing role, and keeps last_seen from
-- being set into the future (last_seen = 'infinity' kept the changelog from
-- ever being pruned behind that device).
CREATE OR REPLACE FUNCTION noesis_sync.guard_device_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.owner_role = '' THEN
        NEW.owner_role := current_user;
    END IF;
    IF NEW.last_seen > now() + interval '5 minutes' THEN
        NEW.last_seen := now();
    END IF;
    RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.guard_device_row() FROM PUBLIC;

DROP TRIGGER IF EXISTS guard_device_row ON noesis_sync.devices;
CREATE TRIGGER guard_device_row BEFORE INSERT OR UPDATE ON noesis_sync.devices
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.guard_device_row();

ALTER TABLE noesis_sync.devices ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS devices_read ON noesis_sync.devices;
CREATE POLICY devices_read ON noesis_sync.devices FOR SELECT USING (true);
DROP POLICY IF EXISTS devices_insert ON noesis_sync.devices;
CREATE POLICY devices_insert ON noesis_sync.devices FOR INSERT WITH CHECK (owner_role = current_user);
DROP POLICY IF EXISTS devices_update ON noesis_sync.devices;
CREATE POLICY devices_update ON noesis_sync.devices FOR UPDATE
    USING (owner_role IN (current_user, '')) WITH CHECK (owner_role = current_user);

ALTER TABLE noesis_sync.push_receipts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS receipts_own ON noesis_sync.push_receipts;
CREATE POLICY receipts_own ON noesis_sync.push_receipts FOR ALL
    USING (EXISTS (SELECT 1 FROM noesis_sync.devices d WHERE d.device_id = push_receipts.device_id AND d.owner_role IN (current_user, '')))
    WITH CHECK (EXISTS (SELECT 1 FROM noesis_sync.devices d WHERE d.device_id = push_receipts.device_id AND d.owner_role = current_user));
