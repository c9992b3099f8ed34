-- The pgvector part of the Noesis schema, as the Python server creates it.
-- Applied by `noesis-sync setup` after `CREATE EXTENSION IF NOT EXISTS vector`
-- succeeds, on every run, so a server that gains pgvector later gets it too.
-- Idempotent by construction (IF NOT EXISTS / OR REPLACE); only ever add to it.
-- Change capture: the statement triggers of migration 0006.

CREATE TABLE IF NOT EXISTS embeddings (
    doc_id TEXT PRIMARY KEY,
    embedding vector(768) NOT NULL,
    text TEXT NOT NULL,
    metadata JSONB NOT NULL DEFAULT '{}',
    source_type TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_embeddings_source_type ON embeddings(source_type);
CREATE INDEX IF NOT EXISTS idx_embeddings_hnsw ON embeddings
    USING hnsw (embedding vector_ip_ops) WITH (m = 16, ef_construction = 64);

SELECT noesis_sync.install_statement_capture('public.embeddings', 'doc_id');
CREATE OR REPLACE TRIGGER noesis_notify AFTER INSERT OR UPDATE OR DELETE ON embeddings
    FOR EACH STATEMENT EXECUTE FUNCTION noesis_sync.notify_change();
