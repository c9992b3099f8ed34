//! What applying the central schema would change, before it is applied: the
//! wizard's schema step shows this, then calls [`super::setup`]. Every change is
//! additive (new schema `noesis_sync`, new tables, AFTER triggers,
//! `IF NOT EXISTS` tables), so the Python server keeps working.

use sqlx::{Connection, Row};

use super::setup::{self, MIGRATOR};
use super::{ServerTarget, CLIENT_SCHEMA_VERSION};
use crate::error::Result;

/// One migration not yet applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlannedChange {
    /// The migration's file name stem, e.g. `20261121000001 noesis tables`.
    pub migration: String,
    /// What it adds, in words.
    pub adds: String,
}

/// The central schema's state and what applying it would add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SchemaPlan {
    /// Nothing to apply: every migration ran and the schema version is this build's.
    pub current: bool,
    /// `noesis_sync.server_info.schema_version`, when the schema exists.
    pub schema_version: Option<u32>,
    /// The version applying would leave.
    pub target_version: u32,
    /// Migrations to apply, in order.
    pub changes: Vec<PlannedChange>,
    /// The Python server's data tables already present (kept as they are).
    pub existing_tables: Vec<String>,
    /// Whether pgvector's `embeddings` table would be added too.
    pub adds_embeddings: bool,
}

/// What each migration adds, for people. A migration missing here is shown by
/// its file name (a unit test keeps the list complete).
const SUMMARIES: &[(i64, &str)] = &[
    (20261121000001, "The Noesis data tables (memory_cards, chat_sessions, mindfile_entries, documents, document_chunks) exactly as the Python server creates them; tables that already exist are left as they are, with their rows."),
    (20261121000002, "Schema noesis_sync (server info, changelog, conflicts, devices) and AFTER triggers on the data tables that record every change for sync; the Python server reads and writes as before."),
    (20261121000003, "Bookkeeping of the legacy migration in noesis_sync: runs, resume points and rejected rows."),
    (20261121000004, "Change notifications name the device that wrote, so a device does not pull back its own edits."),
    (20261121000005, "Changelog pruning: three columns on noesis_sync.server_info and a pruning function."),
    (20261122000006, "Change capture once per statement instead of once per row (same changelog rows, much faster bulk writes); the Python server's statements are unchanged."),
    (20261122000007, "Migration runs killed midway can be marked 'interrupted' in noesis_sync.legacy_runs."),
    (20261122000008, "Rejected legacy rows keep each cell byte for byte: three columns on noesis_sync.legacy_rejects."),
    (20261122000009, "Rejected legacy rows the server itself refused are marked by a column (refused_by_server) on noesis_sync.legacy_rejects."),
    (20261122000010, "A TRUNCATE of a data table makes every device resync it from the server (a trigger per table); other writes are unchanged."),
    (20261202000011, "Push receipts: table noesis_sync.push_receipts and a column on noesis_sync.devices, so a device's retried push and a restored data folder lose no edit; the Python server is unaffected."),
    (20261202000012, "Per-field clocks: table noesis_sync.field_clocks and an UPDATE/DELETE trigger on the four merged tables, so the later edit of each field wins; the Python server's writes are recorded, not changed."),
    (20261203000013, "A random identity for this database, so a device that used to sync with another server reads this one whole instead of missing its older rows."),
    (20261203000014, "Only the database owner may attach the sync's capture functions to a table, so no other login can forge another device's changes."),
    (20261203000015, "Each device's bookkeeping rows belong to the login that wrote them, so one laptop's login cannot rewrite another laptop's sync position or receipts."),
    (20261203000016, "Every recorded change names the device that really made it and a time no later than a few minutes past the server's clock."),
    (20261203000017, "The capture functions record changes only for the tables setup attached them to, so a trigger on any other table cannot forge changes or a resync."),
    (20261203000018, "Per-field clocks are installed table by table by setup, like the change capture."),
    (20261204000019, "The first-run migration stages its batches in noesis_sync tables (each transaction sees only its own rows) instead of temporary tables, and setup takes from every login but the owner the right to create temporary tables."),
    (20261204000020, "History and trash: every edit or deletion of a card, mind-file entry, chat or document keeps the version it replaced (table noesis_sync.row_versions), whoever writes, so any of them can be restored; the Python server's writes are recorded, not changed."),
    (20261204000021, "Large updates stay fast on a connection that made small ones before: the change-capture and history triggers plan their work for each statement. What they record is unchanged."),
    (20261204000022, "The first-run migration records each legacy row it imported with a change (a NUL removed, text repaired, a value respelled) in noesis_sync.legacy_changes, so its report names every one."),
];

/// Reads the schema's state without changing anything.
pub async fn schema_plan(target: &ServerTarget) -> Result<SchemaPlan> {
    let mut conn = target.connect().await?;
    let info = setup::schema_info(&mut conn, target).await?;
    let applied = setup::applied_versions(&mut conn, target).await?;
    let changes: Vec<PlannedChange> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| PlannedChange {
            migration: format!("{} {}", m.version, m.description),
            adds: summary(m.version).unwrap_or_else(|| m.description.to_string()),
        })
        .collect();
    let existing_tables = sqlx::query(
        "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
           AND relname = ANY($1::text[])
         ORDER BY relname",
    )
    .bind(crate::tables::all_names())
    .fetch_all(&mut conn)
    .await
    .map_err(|e| target.classify(e))?
    .into_iter()
    .map(|r| r.get::<String, _>(0))
    .collect::<Vec<_>>();
    let vector_available: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| target.classify(e))?;
    let _ = conn.close().await;
    let schema_version = info.map(|i| u32::try_from(i.schema_version).unwrap_or(0));
    let target_version = CLIENT_SCHEMA_VERSION as u32;
    Ok(SchemaPlan {
        current: changes.is_empty() && schema_version.is_some_and(|v| v >= target_version),
        schema_version,
        target_version,
        changes,
        adds_embeddings: vector_available && !existing_tables.iter().any(|t| t == "embeddings"),
        existing_tables,
    })
}

fn summary(version: i64) -> Option<String> {
    SUMMARIES.iter().find(|(v, _)| *v == version).map(|(_, s)| s.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_says_what_it_adds() {
        for m in super::MIGRATOR.iter() {
            assert!(super::summary(m.version).is_some(), "add a summary of migration {} {} to SUMMARIES", m.version, m.description);
        }
    }
}
