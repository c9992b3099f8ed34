-- Least privilege for the sync functions: PostgreSQL lets PUBLIC execute
-- every new function, so any role on the database, a device role included,
-- could attach the SECURITY DEFINER capture functions to a table of its own
-- (a TEMP table named memory_cards) and forge changelog rows for another
-- device, or fire capture_truncated() and force every device into a full
-- resync. Triggers keep firing without EXECUTE (it is checked when a trigger
-- is created, not when it fires), so only the owner can attach them now.
-- prune_changelog() stays callable by every device: it prunes only what all
-- active devices have read.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA noesis_sync FROM PUBLIC;
GRANT EXECUTE ON FUNCTION noesis_sync.prune_changelog() TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA noesis_sync REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
