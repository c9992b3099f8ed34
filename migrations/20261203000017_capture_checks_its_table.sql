-- The capture functions record changes only for the tables `setup` attached
-- them to (schema unchanged: a guard).
--
-- They are SECURITY DEFINER: whatever table fires them writes the changelog
-- as its owner. Migration 14 took EXECUTE from PUBLIC, so no other login can
-- attach them to a table of its own any more; this is the second lock, for a
-- trigger attached some other way (by an owner's mistake, or before 14 ran):
-- a TEMP table named memory_cards, or any table that is not one of the
-- synced ones, can no longer forge changelog rows, field clocks or a full
-- resync of every device.
CREATE TABLE IF NOT EXISTS noesis_sync.captured_tables (
    table_oid REGCLASS PRIMARY KEY,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION noesis_sync.assert_captured(tbl OID) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM noesis_sync.captured_tables WHERE table_oid = tbl) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('%s is not a table Noesis sync captures (run `noesis-sync setup` to attach capture)', tbl::regclass);
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.assert_captured(OID) FROM PUBLIC;

CREATE OR REPLACE FUNCTION noesis_sync.capture_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    op_id BIGINT := nullif(current_setting('noesis.op_id', true), '')::BIGINT;
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
BEGIN
    PERFORM noesis_sync.assert_captured(TG_RELID);
    IF TG_ARGV[0] = 'id' THEN
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        SELECT TG_TABLE_NAME, n.id, 'I', device, op_id, hlc FROM new_rows n;
    ELSE
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        SELECT TG_TABLE_NAME, to_jsonb(n) ->> TG_ARGV[0], 'I', device, op_id, hlc FROM new_rows n;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION noesis_sync.capture_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    op_id BIGINT := nullif(current_setting('noesis.op_id', true), '')::BIGINT;
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
BEGIN
    PERFORM noesis_sync.assert_captured(TG_RELID);
    INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc, tombstone)
    SELECT TG_TABLE_NAME, r.row ->> TG_ARGV[0], 'D', device, op_id, hlc, r.row - 'embedding'
    FROM (SELECT to_jsonb(o) AS row FROM old_rows o) r;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION noesis_sync.capture_updated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    op_id BIGINT := nullif(current_setting('noesis.op_id', true), '')::BIGINT;
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
BEGIN
    PERFORM noesis_sync.assert_captured(TG_RELID);
    IF TG_ARGV[0] = 'id' THEN
        -- Keys that disappeared (renamed away): a delete with the old content.
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc, tombstone)
        SELECT TG_TABLE_NAME, o.id, 'D', device, op_id, hlc, to_jsonb(o) - 'embedding'
        FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id);
        -- Keys that appeared: an insert.
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        SELECT TG_TABLE_NAME, n.id, 'I', device, op_id, hlc
        FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id);
        -- Same key, different content: an update.
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        SELECT TG_TABLE_NAME, n.id, 'U', device, op_id, hlc
        FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o;
    ELSE
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc, tombstone)
        SELECT TG_TABLE_NAME, o.key, 'D', device, op_id, hlc, o.row - 'embedding'
        FROM (SELECT to_jsonb(x) AS row, to_jsonb(x) ->> TG_ARGV[0] AS key FROM old_rows x) o
        WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE to_jsonb(n) ->> TG_ARGV[0] = o.key);
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        SELECT TG_TABLE_NAME, n.key, 'I', device, op_id, hlc
        FROM (SELECT to_jsonb(x) ->> TG_ARGV[0] AS key FROM new_rows x) n
        WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE to_jsonb(o) ->> TG_ARGV[0] = n.key);
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        SELECT TG_TABLE_NAME, n.key, 'U', device, op_id, hlc
        FROM (SELECT to_jsonb(x) AS row, to_jsonb(x) ->> TG_ARGV[0] AS key FROM new_rows x) n
        JOIN (SELECT to_jsonb(x) AS row, to_jsonb(x) ->> TG_ARGV[0] AS key FROM old_rows x) o ON o.key = n.key
        WHERE n.row IS DISTINCT FROM o.row;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION noesis_sync.capture_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM noesis_sync.assert_captured(TG_RELID);
    UPDATE noesis_sync.server_info
    SET pruned_xid = pg_current_xact_id(), pruned_change_id = 0, updated_at = now()
    WHERE (pruned_xid, pruned_change_id) < (pg_current_xact_id(), 0::bigint);
    PERFORM pg_notify('noesis_changes', TG_TABLE_NAME || ':' || coalesce(current_setting('noesis.device_id', true), ''));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION noesis_sync.record_field_clocks() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
    fields JSONB := coalesce(nullif(current_setting('noesis.field_hlcs', true), '')::jsonb, '{}'::jsonb);
BEGIN
    PERFORM noesis_sync.assert_captured(TG_RELID);
    IF TG_OP = 'DELETE' THEN
        DELETE FROM noesis_sync.field_clocks f USING old_rows o WHERE f.table_name = TG_TABLE_NAME AND f.row_id = o.id;
        RETURN NULL;
    END IF;
    INSERT INTO noesis_sync.field_clocks AS f (table_name, row_id, field, hlc, device_id, changed_at)
    SELECT TG_TABLE_NAME, n.id, e.key, coalesce(fields ->> e.key, hlc), device, clock_timestamp()
    FROM new_rows n JOIN old_rows o ON o.id = n.id, jsonb_each(to_jsonb(n)) e
    WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key
    ON CONFLICT (table_name, row_id, field) DO UPDATE
        SET hlc = EXCLUDED.hlc, device_id = EXCLUDED.device_id, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;

-- As in 20261122000010, and the table is registered as captured.
CREATE OR REPLACE FUNCTION noesis_sync.install_statement_capture(tbl REGCLASS, key_column TEXT) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO noesis_sync.captured_tables (table_oid) VALUES (tbl) ON CONFLICT DO NOTHING;
    EXECUTE format('DROP TRIGGER IF EXISTS noesis_capture ON %s', tbl);
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_capture_inserted AFTER INSERT ON %s
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.capture_inserted(%L)', tbl, key_column);
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_capture_updated AFTER UPDATE ON %s
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.capture_updated(%L)', tbl, key_column);
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_capture_deleted AFTER DELETE ON %s
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.capture_deleted(%L)', tbl, key_column);
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_capture_truncated AFTER TRUNCATE ON %s
        FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.capture_truncated()', tbl);
END
$$;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA noesis_sync FROM PUBLIC;
GRANT EXECUTE ON FUNCTION noesis_sync.prune_changelog() TO PUBLIC;

-- The tables capture was attached to so far: those whose capture triggers
-- call the functions above.
INSERT INTO noesis_sync.captured_tables (table_oid)
SELECT DISTINCT t.tgrelid::regclass FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
WHERE p.pronamespace = 'noesis_sync'::regnamespace
  AND p.proname IN ('capture_inserted', 'capture_updated', 'capture_deleted', 'capture_truncated', 'record_field_clocks')
  AND t.tgrelid IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace)
ON CONFLICT DO NOTHING;
