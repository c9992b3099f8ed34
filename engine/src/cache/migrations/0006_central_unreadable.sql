-- Central rows the Noesis Python server could not read back (a value outside
-- its enums written by psql, an older tool, or a version of this product
-- from before the contract was checked), as last pulled: the app marks them
-- and `status` lists them, so damage done on the server is seen and fixed.
-- Kept up to date by every pull and push; the rows pulled before this table
-- existed are checked once from their shadow copies (the 'due' mark below).
CREATE TABLE central_unreadable (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
);
INSERT INTO sync_state (key, value) VALUES ('central_unreadable_scan', 'due')
    ON CONFLICT (key) DO UPDATE SET value = 'due';
