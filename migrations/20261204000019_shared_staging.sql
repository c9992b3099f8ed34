-- The first-run migration stages its batches in tables of this schema instead
-- of session TEMP tables, so `setup` can take the TEMP right from PUBLIC: a
-- device role then creates no object at all on the server (schema 6).
--
-- One pair of UNLOGGED tables per synced table, installed by `setup` from each
-- table's declaration in the engine (like the change capture):
-- `stage_<table>` holds a batch between its COPY and its merge, and
-- `dry_<table>` holds what a dry run would write. Every row carries the
-- transaction that wrote it (`stage_xact`, set by a trigger whatever the
-- writer sends: COPY cannot go through row-level security), and the
-- migration reads only its own transaction's rows. Two laptops migrating at
-- once never see each other's batches (MVCC hides uncommitted rows), and no
-- login can plant rows in another session's merge (an xid8 is never reused,
-- so a row left by a committed transaction belongs to no later one). The
-- migration deletes its staged rows before it commits; a rolled-back batch
-- leaves none.
CREATE OR REPLACE FUNCTION noesis_sync.stamp_staged_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.stage_xact := pg_current_xact_id();
    RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.stamp_staged_row() FROM PUBLIC;

-- The synced tables staging was installed for, with their keys, so a
-- migration can have them rebuilt when the central table changed since.
CREATE TABLE IF NOT EXISTS noesis_sync.staged_tables (
    table_oid REGCLASS PRIMARY KEY,
    key_column TEXT NOT NULL
);

CREATE OR REPLACE FUNCTION noesis_sync.install_staging(tbl REGCLASS, key_column TEXT) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    base TEXT := (SELECT relname FROM pg_class WHERE oid = tbl);
    stage TEXT;
    pk NAME;
BEGIN
    INSERT INTO noesis_sync.staged_tables (table_oid, key_column) VALUES (tbl, key_column)
    ON CONFLICT (table_oid) DO UPDATE SET key_column = EXCLUDED.key_column;
    -- Recreated on every setup, so they follow the central table's columns.
    EXECUTE format('DROP TABLE IF EXISTS noesis_sync.%I, noesis_sync.%I', 'stage_' || base, 'dry_' || base);
    EXECUTE format('CREATE UNLOGGED TABLE noesis_sync.%I (LIKE %s INCLUDING DEFAULTS,
        stage_xact xid8 NOT NULL DEFAULT pg_current_xact_id())', 'stage_' || base, tbl);
    -- The dry run's copy refuses what the central table would (NOT NULL,
    -- CHECK, an index entry too large, a repeated key), without its
    -- triggers; its key is unique per transaction, so two dry runs of the
    -- same rows do not wait for each other.
    EXECUTE format('CREATE UNLOGGED TABLE noesis_sync.%I (LIKE %s INCLUDING ALL,
        stage_xact xid8 NOT NULL DEFAULT pg_current_xact_id())', 'dry_' || base, tbl);
    pk := (SELECT conname FROM pg_constraint
           WHERE conrelid = format('noesis_sync.%I', 'dry_' || base)::regclass AND contype = 'p');
    IF pk IS NOT NULL THEN
        EXECUTE format('ALTER TABLE noesis_sync.%I DROP CONSTRAINT %I', 'dry_' || base, pk);
    END IF;
    EXECUTE format('ALTER TABLE noesis_sync.%I ADD UNIQUE (stage_xact, %I)', 'dry_' || base, key_column);
    FOREACH stage IN ARRAY ARRAY['stage_' || base, 'dry_' || base] LOOP
        EXECUTE format('CREATE TRIGGER stamp_staged_row BEFORE INSERT OR UPDATE ON noesis_sync.%I
            FOR EACH ROW EXECUTE FUNCTION noesis_sync.stamp_staged_row()', stage);
        -- Every login that may use the schema (the owner, device roles) may
        -- stage; no one may change a staged row.
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON noesis_sync.%I TO PUBLIC', stage);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.install_staging(REGCLASS, TEXT) FROM PUBLIC;

-- The merge joins a staged batch to the central table by index only when the
-- planner knows how small the batch is; ANALYZE needs the table's owner
-- (PostgreSQL 17's MAINTAIN right is not on older servers), so this runs it
-- for the caller, on a staging table only. It sees the caller's uncommitted
-- batch, since it runs in the caller's transaction.
CREATE OR REPLACE FUNCTION noesis_sync.analyze_staging(stage REGCLASS) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_class c
        WHERE c.oid = stage AND c.relnamespace = 'noesis_sync'::regnamespace AND c.relpersistence = 'u'
          AND (c.relname LIKE 'stage\_%' OR c.relname LIKE 'dry\_%')
    ) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format('%s is not a Noesis staging table', stage);
    END IF;
    EXECUTE format('ANALYZE %s', stage);
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.analyze_staging(REGCLASS) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION noesis_sync.analyze_staging(REGCLASS) TO PUBLIC;

-- What of a table's definition a staged or dry-run row must meet: its columns
-- with their types and NOT NULL, and its CHECK constraints (the staging
-- column excluded).
CREATE OR REPLACE FUNCTION noesis_sync.table_shape(tbl REGCLASS) RETURNS TEXT
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT string_agg(format('%s %s %s', attname, format_type(atttypid, atttypmod), attnotnull), ', ' ORDER BY attnum)
                     FROM pg_attribute WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped AND attname <> 'stage_xact'), '')
        || ' | ' ||
        coalesce((SELECT string_agg(pg_get_constraintdef(oid), ', ' ORDER BY pg_get_constraintdef(oid))
                  FROM pg_constraint WHERE conrelid = tbl AND contype = 'c'), '')
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.table_shape(REGCLASS) FROM PUBLIC;

-- A central table the owner changed after `setup` (a column, a CHECK added
-- by hand) would otherwise be staged, and dry-run, against its old shape: a
-- dry run would foresee none of the new refusals. Each migration calls this
-- first; it rebuilds the table's staging pair, as its owner, only when the
-- shapes differ (rebuilding waits for any migration using them).
CREATE OR REPLACE FUNCTION noesis_sync.follow_central_table(tbl REGCLASS) RETURNS BOOLEAN
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    base TEXT := (SELECT relname FROM pg_class WHERE oid = tbl);
    key TEXT := (SELECT key_column FROM noesis_sync.staged_tables WHERE table_oid = tbl);
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('%s has no Noesis staging tables (run `noesis-sync setup` as the database owner)', tbl);
    END IF;
    -- The stage table has the columns only; the dry table the CHECKs too.
    IF split_part(noesis_sync.table_shape(tbl), ' | ', 1)
           = split_part(noesis_sync.table_shape(format('noesis_sync.%I', 'stage_' || base)::regclass), ' | ', 1)
       AND noesis_sync.table_shape(tbl) = noesis_sync.table_shape(format('noesis_sync.%I', 'dry_' || base)::regclass) THEN
        RETURN false;
    END IF;
    PERFORM noesis_sync.install_staging(tbl, key);
    RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION noesis_sync.follow_central_table(REGCLASS) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION noesis_sync.follow_central_table(REGCLASS) TO PUBLIC;
