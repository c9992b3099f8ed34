//! Facts normalising needs from outside a row: which documents exist, so that a
//! chunk whose document is missing everywhere is rejected as an orphan rather
//! than aborting a batch on the foreign key.

use std::collections::HashSet;

use sqlx::PgConnection;

use super::documents_store::Documents;
use super::importer::{Outcome, Refs};
use super::reader;
use super::snapshot::Snapshot;
use crate::central::ServerTarget;
use crate::error::Result;

/// Document ids known centrally plus those the documents snapshot will import,
/// and those it will reject. Only ids are held: documents are few compared
/// with their chunks.
pub async fn collect(conn: &mut PgConnection, target: &ServerTarget, documents: Option<&Snapshot>) -> Result<Refs> {
    let central: Vec<String> =
        sqlx::query_scalar("SELECT id FROM public.documents").fetch_all(&mut *conn).await.map_err(|e| target.classify(e))?;
    let mut ids: HashSet<String> = central.into_iter().collect();
    let mut rejected_ids = HashSet::new();
    if let Some(snapshot) = documents {
        let path = snapshot.path.clone();
        let legacy = tokio::task::spawn_blocking(move || {
            let (mut found, mut rejected) = (Vec::new(), Vec::new());
            let refs = Refs::default();
            reader::scan(&path, &Documents, 0, |row| {
                match super::importer::Importer::normalise(&Documents, &row, &refs) {
                    Outcome::Row { values, .. } => found.extend(values.first().and_then(|v| v.as_str()).map(str::to_string)),
                    Outcome::Reject { .. } => rejected.push(row.key()),
                }
                true
            })
            .map(|_| (found, rejected))
        })
        .await
        .map_err(|e| crate::error::Error::Postgres {
            context: "listing legacy documents".into(),
            detail: e.to_string(),
            source: None,
        })??;
        let (found, rejected) = legacy;
        ids.extend(found);
        rejected_ids.extend(rejected.into_iter().filter(|id| !ids.contains(id)));
    }
    Ok(Refs { document_ids: ids, rejected_document_ids: rejected_ids })
}
