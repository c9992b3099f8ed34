-- Legacy rows the first-run migration imported with a change (NUL bytes
-- removed, invalid UTF-8 replaced, a value given the server's spelling):
-- one row per row and kind of change, written in the batch's transaction
-- beside the rejects, so the report names every one of them, whichever run
-- (or resumed run) imported it. `change` is the report's name of the note.
-- Nothing the Python server reads; devices that do not migrate never touch it.
CREATE TABLE IF NOT EXISTS noesis_sync.legacy_changes (
    device_id TEXT NOT NULL,
    source_file TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    change TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, table_name, change, row_key, source_file)
);

-- Device roles that may record rejects may record changes too (setup
-- --device-role grants both from now on).
DO $$
DECLARE
    grantee TEXT;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole::text
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'noesis_sync.legacy_rejects'::regclass
          AND a.privilege_type = 'INSERT' AND a.grantee <> 0 AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT SELECT, INSERT ON noesis_sync.legacy_changes TO %s', grantee);
    END LOOP;
END
$$;

UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, 8), updated_at = now();
