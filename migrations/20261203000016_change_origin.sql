-- A change says truthfully who made it, and when (schema unchanged: a guard).
-- A syncing device names itself (noesis.device_id) and the clock of its edit
-- (noesis.hlc, noesis.field_hlcs) in transaction settings any login can set.
-- Two guards on every changelog and field-clock row, whoever writes them:
--  * a device id that belongs to another login (noesis_sync.devices.owner_role,
--    migration 15) is refused: one laptop's role cannot make its writes look
--    like another device's (which would, among other things, hide them from
--    that device's pulls);
--  * a clock more than five minutes ahead of the server's is brought back to
--    that limit: a device cannot win every later conflict with a far-future
--    clock. A device whose own clock runs fast keeps syncing, its edits
--    ordered as if made at the limit.
CREATE OR REPLACE FUNCTION noesis_sync.guard_change_origin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    limit_millis BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 300000;
BEGIN
    IF NEW.device_id <> '' AND EXISTS (
        SELECT 1 FROM noesis_sync.devices d
        WHERE d.device_id = NEW.device_id AND d.owner_role NOT IN (session_user, '')
    ) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('device id %s belongs to another login than %s', NEW.device_id, session_user);
    END IF;
    IF NEW.hlc ~ '^[0-9]{15}-' AND substr(NEW.hlc, 1, 15)::bigint > limit_millis THEN
        NEW.hlc := lpad(limit_millis::text, 15, '0') || substr(NEW.hlc, 16);
    END IF;
    RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.guard_change_origin() FROM PUBLIC;

DROP TRIGGER IF EXISTS guard_change_origin ON noesis_sync.changelog;
CREATE TRIGGER guard_change_origin BEFORE INSERT ON noesis_sync.changelog
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.guard_change_origin();
DROP TRIGGER IF EXISTS guard_change_origin ON noesis_sync.field_clocks;
CREATE TRIGGER guard_change_origin BEFORE INSERT OR UPDATE ON noesis_sync.field_clocks
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.guard_change_origin();
