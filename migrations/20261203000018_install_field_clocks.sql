-- Per-field clocks are installed per table by `setup`, from each table's
-- declaration in the engine, like the change capture
-- (noesis_sync.install_statement_capture): a synced table added later gets
-- them without a migration listing it by hand. Schema unchanged.
CREATE OR REPLACE FUNCTION noesis_sync.install_field_clocks(tbl REGCLASS) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO noesis_sync.captured_tables (table_oid) VALUES (tbl) ON CONFLICT DO NOTHING;
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_field_clocks_updated AFTER UPDATE ON %s
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.record_field_clocks()', tbl);
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_field_clocks_deleted AFTER DELETE ON %s
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.record_field_clocks()', tbl);
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.install_field_clocks(REGCLASS) FROM PUBLIC;
