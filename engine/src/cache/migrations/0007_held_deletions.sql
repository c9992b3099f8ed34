-- Deletions held back by the mass-deletion guard (engine/src/cache/held_deletions.rs):
-- a pull or a push that would delete more than half of a table's rows on
-- this device (and more than 50) deletes none of them until the user says
-- "delete them" or "keep them".
--   direction 'pull': the server deleted the row; it is still here, with its
--                     shadow copy.
--   direction 'push': this device deleted the row; the server still has it and
--                     its shadow copy is kept, so "keep" can put it back.
CREATE TABLE sync_held_deletions (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('pull', 'push')),
    held_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;
