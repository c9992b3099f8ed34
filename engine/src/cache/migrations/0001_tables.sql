-- The synced tables, with the central names, columns and NOT NULL rules, so local
-- tools can read and write them. Types as SQLite stores them: JSON and TEXT[] as
-- TEXT holding JSON, timestamps as ISO-8601 UTC text ("2024-03-05T14:07:09.250000Z").
-- No foreign keys: this is a cache of the server, rows arrive in any order, and
-- the server enforces integrity.

CREATE TABLE memory_cards (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    category TEXT NOT NULL,
    scope TEXT NOT NULL,
    text TEXT NOT NULL,
    approval TEXT NOT NULL,
    approved_at TEXT,
    rejected_at TEXT,
    provenance TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX memory_cards_approval ON memory_cards(approval);
CREATE INDEX memory_cards_created ON memory_cards(created_at DESC);

CREATE TABLE chat_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    messages TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX chat_sessions_updated ON chat_sessions(updated_at DESC);

CREATE TABLE mindfile_entries (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    source_memory_card_id TEXT NOT NULL,
    note TEXT DEFAULT ''
);
CREATE INDEX mindfile_entries_category ON mindfile_entries(category);

CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    filename TEXT NOT NULL,
    filepath TEXT NOT NULL,
    file_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    chunk_count INTEGER DEFAULT 0,
    error_message TEXT DEFAULT '',
    tags TEXT DEFAULT '[]',
    notes TEXT DEFAULT ''
);

CREATE TABLE document_chunks (
    id TEXT PRIMARY KEY NOT NULL,
    document_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    page_number INTEGER DEFAULT 0,
    heading TEXT DEFAULT '',
    image_caption TEXT DEFAULT '',
    ocr_text TEXT DEFAULT ''
);
CREATE INDEX document_chunks_document ON document_chunks(document_id, chunk_index);

-- Pulled only, when the device opts in; the vector is 768 little-endian f32s.
CREATE TABLE embeddings (
    doc_id TEXT PRIMARY KEY NOT NULL,
    embedding BLOB NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    source_type TEXT NOT NULL,
    created_at TEXT
);
