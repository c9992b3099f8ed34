-- Write capture for sync.
--
-- Vocabulary:
--   outbox        one row per local insert, update or delete of a synced row, in
--                 order; its op_id is this device's strictly increasing operation
--                 number. The push sends the rows it names and deletes them once
--                 the server has them.
--   capture flag  sync_capture.capturing. 1 normally, so every writer is captured
--                 (our code, the sqlite3 shell, another program). The engine sets it
--                 to 0 inside the transaction that applies pulled changes and back
--                 to 1 before committing, so no other connection ever sees 0 and
--                 pulled rows are not echoed back to the server.
--   shadow copy   sync_shadow: each row as this device last synced it, the base of
--                 three-way merges.
--   state         sync_state: key/value facts about this device (its id and name,
--                 the server it syncs with, the pull cursor).

CREATE TABLE sync_state (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE sync_capture (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    capturing INTEGER NOT NULL CHECK (capturing IN (0, 1))
);
INSERT INTO sync_capture (singleton, capturing) VALUES (1, 1);

CREATE TABLE sync_outbox (
    op_id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('I', 'U', 'D')),
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE sync_shadow (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;


CREATE TRIGGER memory_cards_capture_insert AFTER INSERT ON memory_cards
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('memory_cards', NEW.id, 'I');
END;
CREATE TRIGGER memory_cards_capture_update AFTER UPDATE ON memory_cards
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'memory_cards', OLD.id, 'D' WHERE OLD.id IS NOT NEW.id;
    INSERT INTO sync_outbox (table_name, row_id, op)
    VALUES ('memory_cards', NEW.id, CASE WHEN OLD.id IS NOT NEW.id THEN 'I' ELSE 'U' END);
END;
CREATE TRIGGER memory_cards_capture_delete AFTER DELETE ON memory_cards
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('memory_cards', OLD.id, 'D');
END;

CREATE TRIGGER chat_sessions_capture_insert AFTER INSERT ON chat_sessions
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('chat_sessions', NEW.id, 'I');
END;
CREATE TRIGGER chat_sessions_capture_update AFTER UPDATE ON chat_sessions
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'chat_sessions', OLD.id, 'D' WHERE OLD.id IS NOT NEW.id;
    INSERT INTO sync_outbox (table_name, row_id, op)
    VALUES ('chat_sessions', NEW.id, CASE WHEN OLD.id IS NOT NEW.id THEN 'I' ELSE 'U' END);
END;
CREATE TRIGGER chat_sessions_capture_delete AFTER DELETE ON chat_sessions
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('chat_sessions', OLD.id, 'D');
END;

CREATE TRIGGER mindfile_entries_capture_insert AFTER INSERT ON mindfile_entries
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('mindfile_entries', NEW.id, 'I');
END;
CREATE TRIGGER mindfile_entries_capture_update AFTER UPDATE ON mindfile_entries
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'mindfile_entries', OLD.id, 'D' WHERE OLD.id IS NOT NEW.id;
    INSERT INTO sync_outbox (table_name, row_id, op)
    VALUES ('mindfile_entries', NEW.id, CASE WHEN OLD.id IS NOT NEW.id THEN 'I' ELSE 'U' END);
END;
CREATE TRIGGER mindfile_entries_capture_delete AFTER DELETE ON mindfile_entries
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('mindfile_entries', OLD.id, 'D');
END;

CREATE TRIGGER documents_capture_insert AFTER INSERT ON documents
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('documents', NEW.id, 'I');
END;
CREATE TRIGGER documents_capture_update AFTER UPDATE ON documents
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'documents', OLD.id, 'D' WHERE OLD.id IS NOT NEW.id;
    INSERT INTO sync_outbox (table_name, row_id, op)
    VALUES ('documents', NEW.id, CASE WHEN OLD.id IS NOT NEW.id THEN 'I' ELSE 'U' END);
END;
CREATE TRIGGER documents_capture_delete AFTER DELETE ON documents
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('documents', OLD.id, 'D');
END;

CREATE TRIGGER document_chunks_capture_insert AFTER INSERT ON document_chunks
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('document_chunks', NEW.id, 'I');
END;
CREATE TRIGGER document_chunks_capture_update AFTER UPDATE ON document_chunks
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'document_chunks', OLD.id, 'D' WHERE OLD.id IS NOT NEW.id;
    INSERT INTO sync_outbox (table_name, row_id, op)
    VALUES ('document_chunks', NEW.id, CASE WHEN OLD.id IS NOT NEW.id THEN 'I' ELSE 'U' END);
END;
CREATE TRIGGER document_chunks_capture_delete AFTER DELETE ON document_chunks
WHEN (SELECT capturing FROM sync_capture) = 1
BEGIN
    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('document_chunks', OLD.id, 'D');
END;
