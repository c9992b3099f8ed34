-- A TRUNCATE (by the Python server or psql) fires no row triggers, so devices
-- would keep the emptied table's rows forever. A statement trigger on TRUNCATE
-- now moves the changelog's pruned point up to the truncating transaction:
-- every device whose cursor is older resyncs from a full snapshot, which
-- removes the rows the server no longer has (rows with unpushed local edits
-- are kept and pushed). Clients of schema 2 and later already resync this way.
CREATE OR REPLACE FUNCTION noesis_sync.capture_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE noesis_sync.server_info
    SET pruned_xid = pg_current_xact_id(), pruned_change_id = 0, updated_at = now()
    WHERE (pruned_xid, pruned_change_id) < (pg_current_xact_id(), 0::bigint);
    PERFORM pg_notify('noesis_changes', TG_TABLE_NAME || ':' || coalesce(current_setting('noesis.device_id', true), ''));
    RETURN NULL;
END
$$;

-- Same as in 20261122000006, plus the TRUNCATE trigger (the pgvector part
-- calls this for embeddings on every setup).
CREATE OR REPLACE FUNCTION noesis_sync.install_statement_capture(tbl REGCLASS, key_column TEXT) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
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

SELECT noesis_sync.install_statement_capture('public.memory_cards', 'id');
SELECT noesis_sync.install_statement_capture('public.chat_sessions', 'id');
SELECT noesis_sync.install_statement_capture('public.mindfile_entries', 'id');
SELECT noesis_sync.install_statement_capture('public.documents', 'id');
SELECT noesis_sync.install_statement_capture('public.document_chunks', 'id');
DO $$
BEGIN
    IF to_regclass('public.embeddings') IS NOT NULL THEN
        PERFORM noesis_sync.install_statement_capture('public.embeddings', 'doc_id');
    END IF;
END
$$;
