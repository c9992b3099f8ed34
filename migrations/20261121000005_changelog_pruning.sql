-- Pruning the changelog. Changes every active device has read are deleted; a
-- device silent for longer than device_expiry no longer holds pruning back, and
-- when it returns it finds its cursor below pruned_xid/pruned_change_id and
-- resyncs from a full snapshot instead of missing changes.
ALTER TABLE noesis_sync.server_info ADD COLUMN IF NOT EXISTS device_expiry INTERVAL NOT NULL DEFAULT '30 days';
ALTER TABLE noesis_sync.server_info ADD COLUMN IF NOT EXISTS pruned_xid XID8 NOT NULL DEFAULT '0';
ALTER TABLE noesis_sync.server_info ADD COLUMN IF NOT EXISTS pruned_change_id BIGINT NOT NULL DEFAULT 0;

-- Deletes the changes below the lowest cursor of the devices seen within
-- device_expiry; returns how many. SECURITY DEFINER: device roles may prune
-- without a DELETE privilege on the changelog.
CREATE OR REPLACE FUNCTION noesis_sync.prune_changelog() RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    low_xid XID8;
    low_change BIGINT;
    removed BIGINT;
BEGIN
    SELECT d.cursor_xid, d.cursor_change_id INTO low_xid, low_change
    FROM noesis_sync.devices d, noesis_sync.server_info s
    WHERE d.cursor_xid IS NOT NULL AND d.last_seen > now() - s.device_expiry
    ORDER BY d.cursor_xid, d.cursor_change_id
    LIMIT 1;
    IF low_xid IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM noesis_sync.changelog WHERE (xid, change_id) <= (low_xid, low_change);
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed > 0 THEN
        UPDATE noesis_sync.server_info
        SET pruned_xid = low_xid, pruned_change_id = low_change, updated_at = now()
        WHERE (pruned_xid, pruned_change_id) < (low_xid, low_change);
    END IF;
    RETURN removed;
END
$$;

-- Clients that prune and resync need these columns: a client built for
-- schema 2 tells users of a schema-1 server to run `noesis-sync setup`.
UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, 2), updated_at = now();
