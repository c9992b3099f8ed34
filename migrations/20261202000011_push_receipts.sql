-- Acknowledgement that cannot be fooled (schema 3).
--
-- A device used to count every op id at or below its `devices.last_op_id` as
-- applied. That is wrong twice over: after a lost answer the device re-pushed
-- without knowing what it had sent (its next merge then reverted other
-- writers' changes), and a data folder restored from a backup, or copied to a
-- second Mac, reuses op ids the server has already seen (its new edits were
-- taken as sent and dropped).
--
-- Now every push writes, in the same transaction as the rows, one receipt per
-- op: which row it changed, how and when (the op's fingerprint) and, for the op a
-- row's change was sent under, the version the device sent. A re-push checks
-- its ops against the receipts: the same fingerprint means "applied, and this
-- is what was sent" (the next merge is three-way against it); another
-- fingerprint, or an op id the device has already confirmed, means the data
-- folder is not the one that sent it, and the device takes a new identity.
--
-- Receipts are deleted once the device confirms it has settled them
-- (`settled_op_id`, sent by the device on its next push), so the table holds
-- at most a batch or two per device.
CREATE TABLE IF NOT EXISTS noesis_sync.push_receipts (
    device_id TEXT NOT NULL,
    op_id BIGINT NOT NULL,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op TEXT NOT NULL,
    -- The op's local time stamp, as the device's outbox holds it: with the
    -- table and row, what tells this op from another device's op of the same id.
    changed_at TEXT NOT NULL,
    -- Set on the op a row's change was sent under: the row as sent (JSON null
    -- for a delete). SQL NULL on the row's earlier ops in the same batch.
    sent JSONB,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, op_id)
);

-- The highest op id the device has said it settled (its cache took the answer):
-- a device presenting a lower one is a restored or copied data folder.
ALTER TABLE noesis_sync.devices ADD COLUMN IF NOT EXISTS settled_op_id BIGINT NOT NULL DEFAULT 0;

UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, 3), updated_at = now();
