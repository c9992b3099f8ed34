//! Schema versions of the local cache, tracked in SQLite's `user_version`.
//! Files in `migrations/` are only ever added, never edited once released.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Each migration, in order; the version after applying entry `i` is `i + 1`.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_tables", include_str!("migrations/0001_tables.sql")),
    ("0002_sync", include_str!("migrations/0002_sync.sql")),
    ("0003_search", include_str!("migrations/0003_search.sql")),
    ("0004_sync_push", include_str!("migrations/0004_sync_push.sql")),
    ("0005_sync_waiting", include_str!("migrations/0005_sync_waiting.sql")),
    ("0006_central_unreadable", include_str!("migrations/0006_central_unreadable.sql")),
    ("0007_held_deletions", include_str!("migrations/0007_held_deletions.sql")),
    ("0008_field_edits", include_str!("migrations/0008_field_edits.sql")),
    ("0009_history_seen", include_str!("migrations/0009_history_seen.sql")),
];

/// The cache schema version this build writes (shown in the app's About).
pub const CACHE_SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Applies the migrations the file has not seen yet, each in its own
/// transaction together with the version bump, so a crash leaves a whole version.
pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<()> {
    let current = version(conn).map_err(|e| super::cache_error(path, "reading its schema version", e))?;
    if current > MIGRATIONS.len() {
        return Err(Error::Cache {
            path: path.to_path_buf(),
            context: "opening it".into(),
            detail: format!(
                "it was created by a newer Noesis (cache schema {current}, this build knows {}): upgrade Noesis",
                MIGRATIONS.len()
            ),
            source: None,
        });
    }
    apply_from(conn, current).map_err(|e| super::cache_error(path, "upgrading its schema", e))
}

fn version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).map(|v| v as usize)
}

fn apply_from(conn: &mut Connection, current: usize) -> rusqlite::Result<()> {
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = name, "applied local cache migration");
    }
    Ok(())
}
