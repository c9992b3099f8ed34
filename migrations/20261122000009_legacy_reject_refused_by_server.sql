-- Rejected legacy rows that parsed but that the server itself refused (a
-- CHECK constraint, a trigger, a value too long for its column) are marked by
-- a column instead of by the wording of their reason, so `verify` accounts
-- for them without depending on that text. Rows kept before this column
-- existed are recognised by the reason the migration gave them.
ALTER TABLE noesis_sync.legacy_rejects ADD COLUMN IF NOT EXISTS refused_by_server BOOLEAN NOT NULL DEFAULT false;
UPDATE noesis_sync.legacy_rejects SET refused_by_server = true
 WHERE NOT refused_by_server AND reason LIKE 'Postgres refused the row: %';
