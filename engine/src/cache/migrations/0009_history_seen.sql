-- The history and trash this device last read from the server
-- (engine/src/cache/history_seen.rs), so the app still shows them offline,
-- saying when they were read. One row per row whose history was opened; the
-- trash listing is the row ('', 'trash').
CREATE TABLE history_seen (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    view TEXT NOT NULL,
    seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;
