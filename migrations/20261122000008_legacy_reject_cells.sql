-- Rejected legacy rows, cell by cell, exactly as SQLite stored them: the
-- bytes of each TEXT or BLOB cell untouched (NUL bytes and invalid UTF-8
-- included), INTEGER and REAL cells as their decimal text, NULL as NULL,
-- with each cell's column name and SQLite storage class. `raw` (the lossless
-- JSON form, which verify digests) stays; these are for repair by hand.
ALTER TABLE noesis_sync.legacy_rejects ADD COLUMN IF NOT EXISTS cell_columns TEXT[];
ALTER TABLE noesis_sync.legacy_rejects ADD COLUMN IF NOT EXISTS cell_types TEXT[];
ALTER TABLE noesis_sync.legacy_rejects ADD COLUMN IF NOT EXISTS cells BYTEA[];
