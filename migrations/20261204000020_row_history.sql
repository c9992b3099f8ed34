-- History and trash (schema 7). Every UPDATE or DELETE of a row of a table
-- whose declaration keeps history (memory_cards, mindfile_entries,
-- chat_sessions, documents; not the derived chunks and embeddings) keeps the
-- version it replaced: when, by which device ('' for a write that names none:
-- the Noesis server, psql), and whether it was edited or deleted. Statement
-- triggers installed by `setup` for each such table, firing whoever writes,
-- in the writer's transaction. An insert keeps nothing, so a first migration
-- writes no history.
ALTER TABLE noesis_sync.server_info ADD COLUMN IF NOT EXISTS history_days INTEGER
    CHECK (history_days IS NULL OR history_days > 0);

CREATE TABLE IF NOT EXISTS noesis_sync.row_versions (
    version_id BIGSERIAL PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    -- What happened to this version: 'U' edited (the row lives on), 'D'
    -- deleted (the row is in the trash unless it came back).
    op CHAR(1) NOT NULL CHECK (op IN ('U', 'D')),
    -- The version as it was, as to_jsonb gives it (an embedding column left
    -- out: derived, and large).
    row_data JSONB NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- The device whose write replaced it (checked by guard_change_origin, as
    -- in the changelog) and that write's clock.
    device_id TEXT NOT NULL DEFAULT '',
    hlc TEXT
);
CREATE INDEX IF NOT EXISTS row_versions_row_idx ON noesis_sync.row_versions (table_name, row_id, version_id);
CREATE INDEX IF NOT EXISTS row_versions_replaced_idx ON noesis_sync.row_versions (replaced_at);
CREATE INDEX IF NOT EXISTS row_versions_deleted_idx ON noesis_sync.row_versions (table_name, version_id) WHERE op = 'D';

DROP TRIGGER IF EXISTS guard_change_origin ON noesis_sync.row_versions;
CREATE TRIGGER guard_change_origin BEFORE INSERT ON noesis_sync.row_versions
    FOR EACH ROW EXECUTE FUNCTION noesis_sync.guard_change_origin();

ALTER TABLE noesis_sync.captured_tables ADD COLUMN IF NOT EXISTS keeps_history BOOLEAN NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION noesis_sync.keep_replaced_versions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
    key TEXT := TG_ARGV[0];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM noesis_sync.captured_tables WHERE table_oid = TG_RELID AND keeps_history) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('%s is not a table Noesis keeps history of (run `noesis-sync setup`)', TG_RELID::regclass);
    END IF;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO noesis_sync.row_versions (table_name, row_id, op, row_data, device_id, hlc)
        SELECT TG_TABLE_NAME, o.row ->> key, 'D', o.row - 'embedding', device, hlc
        FROM (SELECT to_jsonb(x) AS row FROM old_rows x) o;
    ELSE
        -- A changed key is a delete of the old one; an unchanged row keeps
        -- nothing (an UPDATE that rewrote the same values).
        INSERT INTO noesis_sync.row_versions (table_name, row_id, op, row_data, device_id, hlc)
        SELECT TG_TABLE_NAME, o.key, CASE WHEN n.key IS NULL THEN 'D' ELSE 'U' END, o.row - 'embedding', device, hlc
        FROM (SELECT to_jsonb(x) AS row, to_jsonb(x) ->> key AS key FROM old_rows x) o
        LEFT JOIN (SELECT to_jsonb(x) AS row, to_jsonb(x) ->> key AS key FROM new_rows x) n ON n.key = o.key
        WHERE n.row IS DISTINCT FROM o.row;
    END IF;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.keep_replaced_versions() FROM PUBLIC;

CREATE OR REPLACE FUNCTION noesis_sync.install_history(tbl REGCLASS, key_column TEXT) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE noesis_sync.captured_tables SET keeps_history = true WHERE table_oid = tbl;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'install capture on % before its history', tbl;
    END IF;
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_history_updated AFTER UPDATE ON %s
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION noesis_sync.keep_replaced_versions(%L)', tbl, key_column);
    EXECUTE format('CREATE OR REPLACE TRIGGER noesis_history_deleted AFTER DELETE ON %s
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION noesis_sync.keep_replaced_versions(%L)', tbl, key_column);
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.install_history(REGCLASS, TEXT) FROM PUBLIC;

-- Retention: versions older than history_days go (NULL keeps everything).
-- Devices call it after pruning the changelog; SECURITY DEFINER, as they may
-- not delete history themselves.
CREATE OR REPLACE FUNCTION noesis_sync.prune_history() RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    days INTEGER := (SELECT history_days FROM noesis_sync.server_info LIMIT 1);
    removed BIGINT;
BEGIN
    IF days IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM noesis_sync.row_versions WHERE replaced_at < now() - make_interval(days => days);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.prune_history() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION noesis_sync.prune_history() TO PUBLIC;

UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, 7), updated_at = now();
