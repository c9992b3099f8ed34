-- Per-field edit times (issue 11: "the later edit of each field wins").
--
-- The outbox says which rows changed and when, not which fields. A push that
-- sends a row edited in two places at two times used to present the later
-- time for both fields, so an early edit of one field could beat another
-- device's later edit of it. sync_field_edits keeps, per row and field, when
-- this device last changed that field (captured writes only: a pulled row
-- changes nothing here). The push reads them as the fields' clocks and sends
-- them to the server's noesis_sync.field_clocks; a row's entries go once the
-- push has settled it. A test checks every merged table's every column has
-- its line below (engine/src/cache/field_edits.rs).
CREATE TABLE sync_field_edits (
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (table_name, row_id, field)
) WITHOUT ROWID;


CREATE TRIGGER memory_cards_field_edits AFTER UPDATE ON memory_cards
WHEN (SELECT capturing FROM sync_capture) = 1 AND OLD.id IS NEW.id
BEGIN
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'created_at' WHERE OLD.created_at IS NOT NEW.created_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'category' WHERE OLD.category IS NOT NEW.category;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'scope' WHERE OLD.scope IS NOT NEW.scope;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'text' WHERE OLD.text IS NOT NEW.text;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'approval' WHERE OLD.approval IS NOT NEW.approval;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'approved_at' WHERE OLD.approved_at IS NOT NEW.approved_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'rejected_at' WHERE OLD.rejected_at IS NOT NEW.rejected_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'memory_cards', NEW.id, 'provenance' WHERE OLD.provenance IS NOT NEW.provenance;
END;

CREATE TRIGGER chat_sessions_field_edits AFTER UPDATE ON chat_sessions
WHEN (SELECT capturing FROM sync_capture) = 1 AND OLD.id IS NEW.id
BEGIN
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'chat_sessions', NEW.id, 'title' WHERE OLD.title IS NOT NEW.title;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'chat_sessions', NEW.id, 'created_at' WHERE OLD.created_at IS NOT NEW.created_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'chat_sessions', NEW.id, 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'chat_sessions', NEW.id, 'messages' WHERE OLD.messages IS NOT NEW.messages;
END;

CREATE TRIGGER mindfile_entries_field_edits AFTER UPDATE ON mindfile_entries
WHEN (SELECT capturing FROM sync_capture) = 1 AND OLD.id IS NEW.id
BEGIN
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'mindfile_entries', NEW.id, 'created_at' WHERE OLD.created_at IS NOT NEW.created_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'mindfile_entries', NEW.id, 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'mindfile_entries', NEW.id, 'category' WHERE OLD.category IS NOT NEW.category;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'mindfile_entries', NEW.id, 'text' WHERE OLD.text IS NOT NEW.text;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'mindfile_entries', NEW.id, 'source_memory_card_id' WHERE OLD.source_memory_card_id IS NOT NEW.source_memory_card_id;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'mindfile_entries', NEW.id, 'note' WHERE OLD.note IS NOT NEW.note;
END;

CREATE TRIGGER documents_field_edits AFTER UPDATE ON documents
WHEN (SELECT capturing FROM sync_capture) = 1 AND OLD.id IS NEW.id
BEGIN
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'created_at' WHERE OLD.created_at IS NOT NEW.created_at;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'filename' WHERE OLD.filename IS NOT NEW.filename;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'filepath' WHERE OLD.filepath IS NOT NEW.filepath;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'file_type' WHERE OLD.file_type IS NOT NEW.file_type;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'file_size' WHERE OLD.file_size IS NOT NEW.file_size;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'file_hash' WHERE OLD.file_hash IS NOT NEW.file_hash;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'status' WHERE OLD.status IS NOT NEW.status;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'chunk_count' WHERE OLD.chunk_count IS NOT NEW.chunk_count;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'error_message' WHERE OLD.error_message IS NOT NEW.error_message;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'tags' WHERE OLD.tags IS NOT NEW.tags;
    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT 'documents', NEW.id, 'notes' WHERE OLD.notes IS NOT NEW.notes;
END;
