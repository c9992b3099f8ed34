-- The first-run migration from the legacy SQLite stores of the old Noesis
-- server (`noesis-sync migrate`). Additive only: three new tables in
-- noesis_sync; the Python server's tables are not touched.
--
-- Vocabulary:
--   source fingerprint  SHA-256 (hex) of a consistent snapshot of one legacy
--                       SQLite file, read past its 100-byte header. The same
--                       source content gives the same fingerprint, so a resumed
--                       run skips what an interrupted run already committed.
--   high-water mark     the largest SQLite rowid of a legacy table whose row has
--                       been merged (or rejected) centrally, committed in the
--                       same transaction as the batch it ends.
--   reject              a legacy row that cannot be imported faithfully, kept
--                       verbatim with the reason so nothing is silently dropped.

-- One row per `migrate` run (not dry runs), so every device and the desktop
-- wizard can tell that the one-time migration happened, where, and with what.
CREATE TABLE IF NOT EXISTS noesis_sync.legacy_runs (
    run_id UUID PRIMARY KEY,
    device_id TEXT NOT NULL,
    device_name TEXT NOT NULL DEFAULT '',
    legacy_dir TEXT NOT NULL,
    sources JSONB NOT NULL DEFAULT '[]',
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    counts JSONB NOT NULL DEFAULT '{}',
    verified BOOLEAN
);
CREATE INDEX IF NOT EXISTS legacy_runs_device_idx ON noesis_sync.legacy_runs (device_id, started_at);

-- Resume points: one row per (source fingerprint, legacy table).
CREATE TABLE IF NOT EXISTS noesis_sync.legacy_high_water (
    source_fingerprint TEXT NOT NULL,
    table_name TEXT NOT NULL,
    last_rowid BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source_fingerprint, table_name)
);

-- Legacy rows that could not be imported. `raw` holds the row exactly as it was
-- in SQLite (a JSON object of its columns, as bytes so that NUL bytes and
-- invalid UTF-8 survive: text that is not UTF-8 and blobs appear as
-- {"$hex": "..."}), so it can be repaired and restored later.
CREATE TABLE IF NOT EXISTS noesis_sync.legacy_rejects (
    reject_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id TEXT NOT NULL,
    source_file TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw BYTEA NOT NULL,
    raw_sha256 TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (device_id, source_file, table_name, row_key, raw_sha256)
);
CREATE INDEX IF NOT EXISTS legacy_rejects_row_idx ON noesis_sync.legacy_rejects (table_name, row_key);

-- Finding earlier migration conflicts of a row (so a rerun records none twice).
CREATE INDEX IF NOT EXISTS conflicts_row_idx ON noesis_sync.conflicts (table_name, row_id);
