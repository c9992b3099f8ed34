-- Push and pull bookkeeping.
--   sync_outbox_row   finds a row's pending changes (a pull defers rows that
--                     have some, so an unpushed edit is never overwritten).
--   sync_rejected     local changes the server refused (a NOT NULL column left
--                     empty, a date it cannot read): kept with the reason and the
--                     row as it was, so nothing typed is lost; editing the row
--                     again queues it again.
CREATE INDEX sync_outbox_row ON sync_outbox (table_name, row_id);

CREATE TABLE sync_rejected (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    data TEXT,
    rejected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (table_name, row_id)
);
