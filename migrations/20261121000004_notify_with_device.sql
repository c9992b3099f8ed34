-- NOTIFY payload "table:device" (device empty for other programs), so an agent
-- can ignore the echo of its own pushes instead of pulling them back.
CREATE OR REPLACE FUNCTION noesis_sync.notify_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('noesis_changes', TG_TABLE_NAME || ':' || coalesce(current_setting('noesis.device_id', true), ''));
    RETURN NULL;
END
$$;
