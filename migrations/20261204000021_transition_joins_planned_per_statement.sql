-- The capture triggers that match a statement's old rows with its new rows
-- (changelog, field clocks, history) plan that join for each statement.
--
-- PL/pgSQL keeps the plan of a static query for the whole session, made for
-- the transition tables of the first statement that fired it. After a few
-- one-row UPDATEs (every push, every write of the Python server) the join is
-- a nested loop, and a later UPDATE of many rows on the same connection ran
-- it over every pair: a 10,000-row UPDATE of memory_cards took minutes
-- instead of half a second, 1,111 embeddings took 106 s instead of 1 s.
-- EXECUTE plans the query for the statement at hand, which costs well under
-- a millisecond; the joins are on the key column itself (hashable) instead of
-- a key taken out of each row's JSON. What is recorded is unchanged.
CREATE OR REPLACE FUNCTION noesis_sync.capture_updated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    device TEXT := coalesce(current_setting('noesis.device_id', true), '');
    op_id BIGINT := nullif(current_setting('noesis.op_id', true), '')::BIGINT;
    hlc TEXT := nullif(current_setting('noesis.hlc', true), '');
BEGIN
    PERFORM noesis_sync.assert_captured(TG_RELID);
    -- A key only in the old rows was renamed away: a delete with the old
    -- content. A key only in the new rows: an insert. Both, with different
    -- content: an update.
    EXECUTE format($q$
        INSERT INTO noesis_sync.changelog (table_name, row_id, op, device_id, op_id, hlc, tombstone)
        SELECT $1, coalesce(n.k, o.k)::text,
               CASE WHEN n.k IS NULL THEN 'D' WHEN o.k IS NULL THEN 'I' ELSE 'U' END,
               $2, $3, $4,
               CASE WHEN n.k IS NULL THEN to_jsonb(o.r) - 'embedding' END
        FROM (SELECT x AS r, x.%1$I AS k FROM old_rows x) o
        FULL JOIN (SELECT x AS r, x.%1$I AS k FROM new_rows x) n ON n.k = o.k
        WHERE n.r IS DISTINCT FROM o.r
        ORDER BY (n.k IS NULL) DESC, (o.k IS NULL) DESC$q$, TG_ARGV[0])
    USING TG_TABLE_NAME, device, op_id, hlc;
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
        EXECUTE 'DELETE FROM noesis_sync.field_clocks f USING old_rows o
                 WHERE f.table_name = $1 AND f.row_id = o.id'
        USING TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    EXECUTE $q$
        INSERT INTO noesis_sync.field_clocks AS f (table_name, row_id, field, hlc, device_id, changed_at)
        SELECT $1, n.id, e.key, coalesce($2 ->> e.key, $3), $4, clock_timestamp()
        FROM new_rows n JOIN old_rows o ON o.id = n.id, jsonb_each(to_jsonb(n)) e
        WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key
        ON CONFLICT (table_name, row_id, field) DO UPDATE
            SET hlc = EXCLUDED.hlc, device_id = EXCLUDED.device_id, changed_at = EXCLUDED.changed_at$q$
    USING TG_TABLE_NAME, fields, hlc, device;
    RETURN NULL;
END
$$;

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
        EXECUTE format($q$
            INSERT INTO noesis_sync.row_versions (table_name, row_id, op, row_data, device_id, hlc)
            SELECT $1, o.k::text, CASE WHEN n.k IS NULL THEN 'D' ELSE 'U' END, to_jsonb(o.r) - 'embedding', $2, $3
            FROM (SELECT x AS r, x.%1$I AS k FROM old_rows x) o
            LEFT JOIN (SELECT x AS r, x.%1$I AS k FROM new_rows x) n ON n.k = o.k
            WHERE n.r IS DISTINCT FROM o.r$q$, key)
        USING TG_TABLE_NAME, device, hlc;
    END IF;
    RETURN NULL;
END
$$;

UPDATE noesis_sync.server_info SET updated_at = now();
