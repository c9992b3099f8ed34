//! "Related": the nearest neighbours of a card or chunk among the server's
//! embeddings, by pgvector inner product (`<#>`, the operator the Python
//! server's HNSW index `idx_embeddings_hnsw … vector_ip_ops` serves, so the
//! search is an index scan, not a table scan).
//!
//! The Python server keys an embedding by the id of what it embeds: `doc_id`
//! is the memory card's or document chunk's id, `source_type` says which
//! (`memory_card`, `document_chunk`), `metadata` carries extras such as the
//! chunk's `document_id`. Embeddings are computed by the server only, so this
//! asks the server and never the local cache.

use sqlx::{PgConnection, Row as _};

use super::ServerTarget;
use crate::error::Result;

/// Most neighbours asked for: a side panel's worth.
pub const MAX_RELATED: u32 = 20;

/// One neighbour.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Neighbour {
    /// The embedded row's id (a card's or chunk's id).
    pub doc_id: String,
    /// What it is (`memory_card`, `document_chunk`…).
    pub source_type: String,
    /// The embedded text.
    pub text: String,
    /// Inner product with the source (higher is closer).
    pub score: f64,
}

/// What the server can say about a row's neighbours.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Related {
    /// Nearest first.
    Found {
        /// The neighbours.
        neighbours: Vec<Neighbour>,
    },
    /// The server has no embedding for this row (not computed yet).
    NotEmbedded,
    /// The server has no pgvector (or no embeddings table).
    NoPgvector,
}

/// The `limit` nearest neighbours of `doc_id` (itself excluded).
pub async fn related(conn: &mut PgConnection, target: &ServerTarget, doc_id: &str, limit: u32) -> Result<Related> {
    let ready: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AND to_regclass('public.embeddings') IS NOT NULL",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    if !ready {
        return Ok(Related::NoPgvector);
    }
    // The source vector travels as pgvector's text form, so the neighbour
    // query orders by `<#>` against a constant and can use the HNSW index.
    let source: Option<String> = sqlx::query_scalar("SELECT embedding::text FROM embeddings WHERE doc_id = $1")
        .bind(doc_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    let Some(source) = source else { return Ok(Related::NotEmbedded) };
    let limit = i64::from(limit.clamp(1, MAX_RELATED));
    let rows = sqlx::query(
        "SELECT doc_id, source_type, text, -(embedding <#> $1::vector) AS score
         FROM embeddings WHERE doc_id <> $2 ORDER BY embedding <#> $1::vector LIMIT $3",
    )
    .bind(&source)
    .bind(doc_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(Related::Found {
        neighbours: rows
            .into_iter()
            .map(|r| Neighbour { doc_id: r.get(0), source_type: r.get(1), text: r.get(2), score: r.get(3) })
            .collect(),
    })
}
