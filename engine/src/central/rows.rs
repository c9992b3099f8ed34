//! Content checksums of the central tables, computed exactly as the local cache
//! computes its own (see [`crate::canonical`]), so two copies can be compared.

use futures_util::TryStreamExt;
use sqlx::{PgConnection, Row};

use super::ServerTarget;
use crate::canonical::{self, TableChecksum};
use crate::error::Result;
use crate::tables::TableSpec;

/// Row count and checksum of one central table; `None` when the table does not
/// exist there (embeddings on a server without pgvector).
pub async fn table_checksum(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec) -> Result<Option<(u64, String)>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(format!("public.{}", spec.name))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    if !exists {
        return Ok(None);
    }
    // Byte order of the key, matching SQLite's BINARY collation.
    let sql = sqlx::AssertSqlSafe(format!("SELECT to_jsonb(t) FROM {} t ORDER BY t.{} COLLATE \"C\"", spec.name, spec.key));
    let mut rows = sqlx::query(sql).fetch(&mut *conn);
    let mut checksum = TableChecksum::default();
    while let Some(row) = rows.try_next().await.map_err(|e| target.classify(e))? {
        // A row this app cannot read (JSON nested deeper than it parses) still
        // counts, with a digest no copy can match: the device lacks it.
        let values = match row.try_get::<serde_json::Value, _>(0) {
            Ok(serde_json::Value::Object(map)) => canonical::row_from_object(spec, &map),
            _ => Vec::new(),
        };
        checksum.add(&canonical::row_digest(&values));
    }
    Ok(Some((checksum.rows(), checksum.finish())))
}
