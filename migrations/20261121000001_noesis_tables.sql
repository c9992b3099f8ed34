-- The Noesis data tables, exactly as the Python server (core/db/postgres.py,
-- init_database) creates them: same names, columns, types, defaults and indexes.
-- IF NOT EXISTS everywhere: on a database the Python server already set up,
-- this migration changes nothing and keeps every row.
-- The pgvector `embeddings` table is not here: it needs the extension, which a
-- server may lack, so `noesis-sync setup` applies migrations/pgvector/ separately.

CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    filename TEXT NOT NULL,
    filepath TEXT NOT NULL,
    file_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    chunk_count INTEGER DEFAULT 0,
    error_message TEXT DEFAULT '',
    tags TEXT[] DEFAULT '{}',
    notes TEXT DEFAULT ''
);
CREATE INDEX IF NOT EXISTS idx_documents_hash ON documents(file_hash);
CREATE INDEX IF NOT EXISTS idx_documents_status ON documents(status);

CREATE TABLE IF NOT EXISTS document_chunks (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    page_number INTEGER DEFAULT 0,
    heading TEXT DEFAULT '',
    image_caption TEXT DEFAULT '',
    ocr_text TEXT DEFAULT ''
);
CREATE INDEX IF NOT EXISTS idx_chunks_document ON document_chunks(document_id, chunk_index);

CREATE TABLE IF NOT EXISTS memory_cards (
    id TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    category TEXT NOT NULL,
    scope TEXT NOT NULL,
    text TEXT NOT NULL,
    approval TEXT NOT NULL,
    approved_at TIMESTAMP,
    rejected_at TIMESTAMP,
    provenance JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_memory_cards_approval ON memory_cards(approval);

CREATE TABLE IF NOT EXISTS chat_sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    messages JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_sessions_updated ON chat_sessions(updated_at DESC);

CREATE TABLE IF NOT EXISTS mindfile_entries (
    id TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    source_memory_card_id TEXT NOT NULL,
    note TEXT DEFAULT ''
);
CREATE INDEX IF NOT EXISTS idx_mindfile_category ON mindfile_entries(category);
CREATE INDEX IF NOT EXISTS idx_mindfile_source_card ON mindfile_entries(source_memory_card_id);
