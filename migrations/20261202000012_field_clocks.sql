-- Per-field clocks (schema 4): "the later edit of a field wins" is decided
-- per field, not per row.
--
-- A row's changelog carries one clock per write, so a device that edited the
-- text early and the category late used to present its late clock for both:
-- its early text beat another device's later text. Now every UPDATE of a
-- merged table records, per changed column, the clock of that column's edit:
-- a syncing device sets `noesis.field_hlcs` (JSON, column -> clock of the
-- device's own edit of it) and `noesis.hlc` (its push clock, for columns it
-- names no clock for); any other writer (the Python server, psql) gets no
-- clock, and the column's time of change and writer stand for it. A deleted
-- row's clocks go with it. Inserts record none: a column never updated since
-- its row was created takes the row's clock.
CREATE TABLE IF NOT EXISTS noesis_sync.field_clocks (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    hlc TEXT,
    device_id TEXT NOT NULL DEFAULT '',
    changed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (table_name, row_id, field)
);

CREATE OR REPLACE FUNCTION noesis_sync.record_field_clocks() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
    fields JSONB := coalesce(nullif(current_setting('noesis.field_hlcs', true), '')::jsonb, '{}'::jsonb);
BEGIN
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

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['memory_cards', 'chat_sessions', 'mindfile_entries', 'documents'] LOOP
        IF to_regclass('public.' || t) IS NOT NULL THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER noesis_field_clocks_updated AFTER UPDATE ON public.%I
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.record_field_clocks()', t);
            EXECUTE format('CREATE OR REPLACE TRIGGER noesis_field_clocks_deleted AFTER DELETE ON public.%I
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.record_field_clocks()', t);
        END IF;
    END LOOP;
END
$$;

UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, 4), updated_at = now();
