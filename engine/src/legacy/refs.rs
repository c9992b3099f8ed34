//! Facts normalising needs from outside a row: which documents exist, so that a
//! chunk whose document is missing everywhere is rejected as an orphan rather
//! than aborting a batch on the foreign key.

use std::collections::HashSet;

use sqlx::PgConnection;

use super::importer::{Outcome, Refs};
use super::reader;
use super::snapshot::Snapshot;
use super::documents_store::Documents;
use crate::central::ServerTarget;
use crate::error::Result;

/// Document ids known centrally plus those the documents snapshot will import.
/// Only ids are held: documents are few compared with their chunks.
pub async fn collect(conn: &mut PgConnection, target: &ServerTarget, documents: Option<&Snapshot>) -> Result<Refs> {
    let central: Vec<String> = sqlx::query_scalar("SELECT id FROM public.documents")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    let mut ids: HashSet<String> = central.into_iter().collect();
    if let Some(snapshot) = documents {
        let path = snapshot.path.clone();
        let legacy = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            let refs = Refs::default();
            reader::scan(&path, &Documents, 0, |row| {
                if let Outcome::Row { values, .. } = super::importer::Importer::normalise(&Documents, &row, &refs) {
                    if let Some(id) = values.first().and_then(|v| v.as_str()) {
                        found.push(id.to_string());
                    }
                }
                true
            })
            .map(|_| found)
        })
        .await
        .map_err(|e| crate::error::Error::Postgres { context: "listing legacy documents".into(), detail: e.to_string() })??;
        ids.extend(legacy);
    }
    Ok(Refs { document_ids: ids })
}
