-- Change capture per statement instead of per row. The row trigger ran a
-- PL/pgSQL function for every row, which bounded any bulk load (the first-run
-- migration, a Python-server batch import, psql \copy) to about 10k rows/s on a
-- small machine. These statement triggers read the statement's transition
-- tables and write its changelog rows in one set-based INSERT. What they record
-- is unchanged: one changelog row per inserted, updated or deleted data row,
-- stamped with the transaction's xid8, the device settings, and a tombstone
-- for deletes; an UPDATE that changes nothing records nothing; an UPDATE that
-- changes a row's key records a delete of the old key and an insert of the new.
--
-- TG_ARGV[0] names the key column. Tables keyed by `id` take a static path
-- that reads the column directly; others (embeddings, keyed by doc_id) read it
-- through to_jsonb. PL/pgSQL plans each statement on first use, per table, so
-- the path a table never takes is never planned.

CREATE OR REPLACE FUNCTION noesis_sync.capture_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    op_id BIGINT := nullif(current_setting('noesis.op_id', true), '')::BIGINT;
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
BEGIN
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

-- Replaces a table's row capture trigger with the three statement triggers
-- (a trigger with transition tables may serve one event only).
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
END
$$;

SELECT noesis_sync.install_statement_capture('public.memory_cards', 'id');
SELECT noesis_sync.install_statement_capture('public.chat_sessions', 'id');
SELECT noesis_sync.install_statement_capture('public.mindfile_entries', 'id');
SELECT noesis_sync.install_statement_capture('public.documents', 'id');
SELECT noesis_sync.install_statement_capture('public.document_chunks', 'id');
-- The pgvector part (migrations/pgvector/embeddings.sql) calls it for
-- embeddings on every setup; a server that already has the table switches now.
DO $$
BEGIN
    IF to_regclass('public.embeddings') IS NOT NULL THEN
        PERFORM noesis_sync.install_statement_capture('public.embeddings', 'doc_id');
    END IF;
END
$$;

DROP FUNCTION IF EXISTS noesis_sync.capture_row_change();
