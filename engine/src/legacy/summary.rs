//! A migration's report in the numbers the first-run wizard shows: per
//! table what was read, inserted, unchanged, conflicted and rejected, and
//! whether verification accounted for every row (missing and mismatched rows
//! count as unaccounted). Counts are u32 for the front end's numbers.

use serde::{Deserialize, Serialize};

use super::MigrateReport;

/// One table of a migration or preview, in the UI's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TableOutcome {
    /// Central table name.
    pub table: String,
    /// Legacy rows read.
    pub read: u32,
    /// New rows (would be inserted, in a preview).
    pub inserted: u32,
    /// Already there with equal content.
    pub unchanged: u32,
    /// Present centrally with other content; the newer version is kept.
    pub conflicted: u32,
    /// Kept verbatim in the rejects table instead.
    pub rejected: u32,
    /// Conflicts recorded for review.
    pub conflicts_recorded: u32,
    /// Rows an earlier, interrupted run had already committed.
    pub resumed_after: u32,
}

/// Verification of one table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TableVerification {
    /// Central table name.
    pub table: String,
    /// Rows in the legacy source.
    pub source_rows: u32,
    /// Present centrally with equal content.
    pub matching: u32,
    /// Kept as the losing side of a conflict.
    pub in_conflicts: u32,
    /// Kept in the rejects table.
    pub in_rejects: u32,
    /// Neither: missing or different.
    pub unaccounted: u32,
    /// Every row accounted for.
    pub ok: bool,
}

/// A preview or migration, as the wizard shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MigrationOutcome {
    /// A preview: nothing was written.
    pub dry_run: bool,
    /// Per table.
    pub tables: Vec<TableOutcome>,
    /// Per table, after a real run.
    pub verification: Option<Vec<TableVerification>>,
    /// Every row of every table accounted for (after a real run).
    pub verified: Option<bool>,
    /// Rows the cache pulled afterwards, so the main window is filled at once.
    pub cache_rows: Option<u32>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

fn n(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl From<&MigrateReport> for MigrationOutcome {
    fn from(r: &MigrateReport) -> Self {
        Self {
            dry_run: r.dry_run,
            tables: r
                .tables
                .iter()
                .map(|t| TableOutcome {
                    table: t.table.clone(),
                    read: n(t.read),
                    inserted: n(t.counts.inserted),
                    unchanged: n(t.counts.unchanged),
                    conflicted: n(t.counts.conflicted),
                    rejected: n(t.counts.rejected),
                    conflicts_recorded: n(t.counts.conflicts_recorded),
                    resumed_after: u32::try_from(t.resumed_after).unwrap_or(u32::MAX),
                })
                .collect(),
            verification: r.verification.as_ref().map(|v| {
                v.tables
                    .iter()
                    .map(|t| TableVerification {
                        table: t.table.clone(),
                        source_rows: n(t.source_rows),
                        matching: n(t.matching),
                        in_conflicts: n(t.in_conflicts),
                        in_rejects: n(t.in_rejects),
                        unaccounted: n(t.missing + t.mismatched),
                        ok: t.ok(),
                    })
                    .collect()
            }),
            verified: r.verification.as_ref().map(|v| v.ok),
            cache_rows: r.cache_seeded.as_ref().map(|s| n(s.pull.applied)),
            seconds: r.seconds,
        }
    }
}
