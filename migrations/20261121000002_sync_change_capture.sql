-- Change capture for sync. Everything lives in the schema noesis_sync so the
-- Python server's tables keep their shape; the only things added to them are
-- AFTER triggers, which do not change what the Python server reads or writes.
--
-- Vocabulary:
--   changelog  one row per inserted, updated or deleted data row, whoever wrote it
--              (our agent, the Python server, psql), stamped with the writing
--              transaction's xid8.
--   tombstone  the changelog row of a delete; it keeps the deleted row's last
--              content so an edit racing a delete can be restored.
--   horizon    pg_snapshot_xmin(pg_current_snapshot()): every transaction with a
--              smaller xid has finished, so changelog rows below it can no longer
--              appear "in the past". A pull reads only below the horizon, ordered
--              by (xid, change_id), and keeps that pair as its cursor.
--   device     a copy of Noesis (one data dir on one machine). Our agent sets the
--              transaction settings noesis.device_id, noesis.op_id and noesis.hlc
--              before it writes; other programs leave them empty.

CREATE SCHEMA IF NOT EXISTS noesis_sync;

-- Which protocol this schema speaks. A client older than min_client_protocol
-- must refuse to push; schema_version grows with every migration that changes
-- what clients read or write.
CREATE TABLE IF NOT EXISTS noesis_sync.server_info (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    schema_version INTEGER NOT NULL,
    min_client_protocol INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO noesis_sync.server_info (schema_version, min_client_protocol)
VALUES (1, 1)
ON CONFLICT (singleton) DO UPDATE
SET schema_version = GREATEST(noesis_sync.server_info.schema_version, EXCLUDED.schema_version),
    min_client_protocol = GREATEST(noesis_sync.server_info.min_client_protocol, EXCLUDED.min_client_protocol),
    updated_at = now();

CREATE TABLE IF NOT EXISTS noesis_sync.changelog (
    change_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op CHAR(1) NOT NULL CHECK (op IN ('I', 'U', 'D')),
    device_id TEXT NOT NULL DEFAULT '',
    op_id BIGINT,
    hlc TEXT,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    tombstone JSONB
);
CREATE INDEX IF NOT EXISTS changelog_cursor_idx ON noesis_sync.changelog (xid, change_id);
CREATE INDEX IF NOT EXISTS changelog_row_idx ON noesis_sync.changelog (table_name, row_id);

-- One row per device: its name, the highest op id of its that has been applied
-- (so a retried upload batch applies nothing twice) and its pull cursor (so the
-- changelog can be pruned below the slowest active device).
CREATE TABLE IF NOT EXISTS noesis_sync.devices (
    device_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    last_op_id BIGINT NOT NULL DEFAULT 0,
    cursor_xid XID8,
    cursor_change_id BIGINT,
    protocol_version INTEGER,
    first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A conflict keeps both versions of a row: the one that won (and is now in the
-- table) and the one that lost, so the user can restore the loser.
CREATE TABLE IF NOT EXISTS noesis_sync.conflicts (
    conflict_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    base_version JSONB,
    winning_version JSONB,
    losing_version JSONB,
    winning_device TEXT NOT NULL DEFAULT '',
    losing_device TEXT NOT NULL DEFAULT '',
    detected_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolution TEXT CHECK (resolution IN ('keep_winning', 'keep_losing', 'merged')),
    resolved_at TIMESTAMPTZ,
    resolved_by TEXT
);
CREATE INDEX IF NOT EXISTS conflicts_open_idx ON noesis_sync.conflicts (created_at) WHERE resolution IS NULL;

-- Row trigger: records one change. SECURITY DEFINER so that any role allowed to
-- write the data tables (the Python server's, a device role) is captured without
-- needing privileges on noesis_sync itself. TG_ARGV[0] names the key column.
CREATE OR REPLACE FUNCTION noesis_sync.capture_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    old_row JSONB;
    new_id TEXT;
    old_id TEXT;
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    op_id BIGINT := nullif(current_setting('noesis.op_id', true), '')::BIGINT;
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
BEGIN
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_row := to_jsonb(OLD);
        old_id := old_row ->> TG_ARGV[0];
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_id := to_jsonb(NEW) ->> TG_ARGV[0];
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_id IS DISTINCT FROM new_id) THEN
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc, tombstone)
        VALUES (TG_TABLE_NAME, old_id, 'D', device, op_id, hlc, old_row - 'embedding');
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND old_id IS DISTINCT FROM new_id) THEN
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        VALUES (TG_TABLE_NAME, new_id, 'I', device, op_id, hlc);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc)
        VALUES (TG_TABLE_NAME, new_id, 'U', device, op_id, hlc);
    END IF;
    RETURN NULL;
END
$$;

-- Statement trigger: one NOTIFY per writing statement (Postgres folds identical
-- notifications of one transaction into one), so listening agents wake up
-- without polling, and bulk loads do not send one message per row.
CREATE OR REPLACE FUNCTION noesis_sync.notify_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('noesis_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER noesis_capture AFTER INSERT OR UPDATE OR DELETE ON memory_cards
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.capture_row_change('id');
CREATE OR REPLACE TRIGGER noesis_notify AFTER INSERT OR UPDATE OR DELETE ON memory_cards
    FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.notify_change();
CREATE OR REPLACE TRIGGER noesis_capture AFTER INSERT OR UPDATE OR DELETE ON chat_sessions
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.capture_row_change('id');
CREATE OR REPLACE TRIGGER noesis_notify AFTER INSERT OR UPDATE OR DELETE ON chat_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.notify_change();
CREATE OR REPLACE TRIGGER noesis_capture AFTER INSERT OR UPDATE OR DELETE ON mindfile_entries
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.capture_row_change('id');
CREATE OR REPLACE TRIGGER noesis_notify AFTER INSERT OR UPDATE OR DELETE ON mindfile_entries
    FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.notify_change();
CREATE OR REPLACE TRIGGER noesis_capture AFTER INSERT OR UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.capture_row_change('id');
CREATE OR REPLACE TRIGGER noesis_notify AFTER INSERT OR UPDATE OR DELETE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.notify_change();
CREATE OR REPLACE TRIGGER noesis_capture AFTER INSERT OR UPDATE OR DELETE ON document_chunks
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.capture_row_change('id');
CREATE OR REPLACE TRIGGER noesis_notify AFTER INSERT OR UPDATE OR DELETE ON document_chunks
    FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.notify_change();
