-- Full-text search (FTS5) over what users look for: card text, session titles
-- and message texts, mind-file text and notes, document names and notes, chunk
-- text. Each index follows its table through triggers, whoever writes.
-- External-content indexes read their text from the table by rowid; a VACUUM can
-- renumber rowids of tables without an INTEGER PRIMARY KEY, so after a VACUUM
-- the indexes must be rebuilt: Cache::rebuild_search_index does it.


CREATE VIRTUAL TABLE memory_cards_fts USING fts5(text, category, content='memory_cards', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER memory_cards_fts_insert AFTER INSERT ON memory_cards BEGIN
    INSERT INTO memory_cards_fts (rowid, text, category) VALUES (NEW.rowid, NEW.text, NEW.category);
END;
CREATE TRIGGER memory_cards_fts_delete AFTER DELETE ON memory_cards BEGIN
    INSERT INTO memory_cards_fts (memory_cards_fts, rowid, text, category) VALUES ('delete', OLD.rowid, OLD.text, OLD.category);
END;
CREATE TRIGGER memory_cards_fts_update AFTER UPDATE ON memory_cards BEGIN
    INSERT INTO memory_cards_fts (memory_cards_fts, rowid, text, category) VALUES ('delete', OLD.rowid, OLD.text, OLD.category);
    INSERT INTO memory_cards_fts (rowid, text, category) VALUES (NEW.rowid, NEW.text, NEW.category);
END;

CREATE VIRTUAL TABLE mindfile_entries_fts USING fts5(text, note, content='mindfile_entries', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER mindfile_entries_fts_insert AFTER INSERT ON mindfile_entries BEGIN
    INSERT INTO mindfile_entries_fts (rowid, text, note) VALUES (NEW.rowid, NEW.text, NEW.note);
END;
CREATE TRIGGER mindfile_entries_fts_delete AFTER DELETE ON mindfile_entries BEGIN
    INSERT INTO mindfile_entries_fts (mindfile_entries_fts, rowid, text, note) VALUES ('delete', OLD.rowid, OLD.text, OLD.note);
END;
CREATE TRIGGER mindfile_entries_fts_update AFTER UPDATE ON mindfile_entries BEGIN
    INSERT INTO mindfile_entries_fts (mindfile_entries_fts, rowid, text, note) VALUES ('delete', OLD.rowid, OLD.text, OLD.note);
    INSERT INTO mindfile_entries_fts (rowid, text, note) VALUES (NEW.rowid, NEW.text, NEW.note);
END;

CREATE VIRTUAL TABLE documents_fts USING fts5(filename, notes, content='documents', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (rowid, filename, notes) VALUES (NEW.rowid, NEW.filename, NEW.notes);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, filename, notes) VALUES ('delete', OLD.rowid, OLD.filename, OLD.notes);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, filename, notes) VALUES ('delete', OLD.rowid, OLD.filename, OLD.notes);
    INSERT INTO documents_fts (rowid, filename, notes) VALUES (NEW.rowid, NEW.filename, NEW.notes);
END;

CREATE VIRTUAL TABLE document_chunks_fts USING fts5(text, heading, content='document_chunks', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER document_chunks_fts_insert AFTER INSERT ON document_chunks BEGIN
    INSERT INTO document_chunks_fts (rowid, text, heading) VALUES (NEW.rowid, NEW.text, NEW.heading);
END;
CREATE TRIGGER document_chunks_fts_delete AFTER DELETE ON document_chunks BEGIN
    INSERT INTO document_chunks_fts (document_chunks_fts, rowid, text, heading) VALUES ('delete', OLD.rowid, OLD.text, OLD.heading);
END;
CREATE TRIGGER document_chunks_fts_update AFTER UPDATE ON document_chunks BEGIN
    INSERT INTO document_chunks_fts (document_chunks_fts, rowid, text, heading) VALUES ('delete', OLD.rowid, OLD.text, OLD.heading);
    INSERT INTO document_chunks_fts (rowid, text, heading) VALUES (NEW.rowid, NEW.text, NEW.heading);
END;

-- Sessions index the texts inside the messages JSON, not the JSON itself, so the
-- index is a table of its own keyed by the session's rowid.
CREATE VIRTUAL TABLE chat_sessions_fts USING fts5(title, messages, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER chat_sessions_fts_insert AFTER INSERT ON chat_sessions BEGIN
    INSERT INTO chat_sessions_fts (rowid, title, messages) VALUES (NEW.rowid, NEW.title, (SELECT group_concat(json_extract(m.value, '$.text'), char(10)) FROM json_each(CASE WHEN json_valid(NEW.messages) AND json_type(NEW.messages) = 'array' THEN NEW.messages ELSE '[]' END) AS m));
END;
CREATE TRIGGER chat_sessions_fts_delete AFTER DELETE ON chat_sessions BEGIN
    DELETE FROM chat_sessions_fts WHERE rowid = OLD.rowid;
END;
CREATE TRIGGER chat_sessions_fts_update AFTER UPDATE ON chat_sessions BEGIN
    DELETE FROM chat_sessions_fts WHERE rowid = OLD.rowid;
    INSERT INTO chat_sessions_fts (rowid, title, messages) VALUES (NEW.rowid, NEW.title, (SELECT group_concat(json_extract(m.value, '$.text'), char(10)) FROM json_each(CASE WHEN json_valid(NEW.messages) AND json_type(NEW.messages) = 'array' THEN NEW.messages ELSE '[]' END) AS m));
END;
