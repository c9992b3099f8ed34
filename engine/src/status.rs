//! `noesis-sync status`: this device, its cache, and the server, with per-table
//! row counts and content checksums so two devices can be compared at a glance.

use sqlx::Connection;

use crate::cache::{Cache, DeviceIdentity, HeldDeletions, IdentityRenewal, UnreadableRow};
use crate::central::{self, SchemaInfo, ServerTarget};
use crate::error::{Error, Result};
use crate::tables::{self, TableSpec};

/// How many unreadable central rows a status report names.
pub const SHOWN_UNREADABLE: usize = 20;

/// The whole status report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusReport {
    /// This device.
    pub device: DeviceIdentity,
    /// The cache file.
    pub cache_path: String,
    /// Local changes not yet pushed.
    pub pending_changes: u64,
    /// When a sync cycle last finished here (the app's agent or the CLI).
    pub last_sync: Option<chrono::DateTime<chrono::Utc>>,
    /// Local changes the server refused (kept in `sync_rejected` with the reason).
    pub rejected_changes: u64,
    /// Central rows the Noesis server could not read back, as last pulled
    /// (written by psql or an older tool): damage to fix on the server.
    pub unreadable_central_rows: u64,
    /// The first [`SHOWN_UNREADABLE`] of them, with the reason.
    pub unreadable_central: Vec<UnreadableRow>,
    /// The last time this data folder took a new device identity because the
    /// server showed it was restored or copied, and why.
    pub identity_renewal: Option<IdentityRenewal>,
    /// Mass deletions held back, waiting for the user to delete or keep the
    /// rows (`sync --allow-mass-delete`, `sync --keep-held-rows`).
    pub held_deletions: Vec<HeldDeletions>,
    /// The server, if one is configured.
    pub server: Option<ServerStatus>,
    /// One line per synced table.
    pub tables: Vec<TableStatus>,
}

/// The server as seen from here.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServerStatus {
    /// Its URL, without password.
    pub url: String,
    /// Whether a connection succeeded.
    pub reachable: bool,
    /// Schema versions, when reachable and set up.
    pub schema: Option<SchemaInfo>,
    /// Conflicts recorded and not yet resolved.
    pub open_conflicts: Option<u64>,
    /// Why it is not usable, when it is not.
    pub error: Option<ErrorReport>,
}

/// An error as scripts and the UI receive it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorReport {
    /// Stable code ([`Error::code`]).
    pub code: crate::ErrorCode,
    /// What to do.
    pub message: String,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}

/// Counts and checksums of one table in both places.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableStatus {
    /// The table.
    pub table: String,
    /// Rows in the local cache.
    pub local_rows: u64,
    /// Checksum of the local rows.
    pub local_checksum: String,
    /// Rows on the server (when reachable and the table exists there).
    pub central_rows: Option<u64>,
    /// Checksum of the server's rows.
    pub central_checksum: Option<String>,
}

/// Builds the report; the server part is filled when `target` is given, and a
/// server that cannot be used is reported, not returned as an error.
pub async fn status(cache: &Cache, target: Option<&ServerTarget>) -> Result<StatusReport> {
    let specs: Vec<&TableSpec> = tables::EDITABLE.to_vec();
    let mut table_status = Vec::new();
    for spec in &specs {
        let (rows, checksum) = cache.table_checksum(spec)?;
        table_status.push(TableStatus {
            table: spec.name.to_string(),
            local_rows: rows,
            local_checksum: checksum,
            central_rows: None,
            central_checksum: None,
        });
    }
    let server = match target {
        None => None,
        Some(target) => Some(match central_part(target, &specs, &mut table_status).await {
            Ok((schema, conflicts)) => ServerStatus {
                url: target.url().to_string(),
                reachable: true,
                schema: Some(schema),
                open_conflicts: Some(conflicts),
                error: None,
            },
            Err(e) => ServerStatus {
                url: target.url().to_string(),
                reachable: !matches!(e, Error::Unreachable { .. } | Error::Tls { .. }),
                schema: None,
                open_conflicts: None,
                error: Some(ErrorReport::from(&e)),
            },
        }),
    };
    Ok(StatusReport {
        device: cache.device()?,
        cache_path: cache.path().display().to_string(),
        pending_changes: cache.pending_count()?,
        last_sync: cache.last_sync()?,
        rejected_changes: cache.rejected_count()?,
        unreadable_central_rows: cache.unreadable_central_count()?,
        unreadable_central: cache.unreadable_central_rows(SHOWN_UNREADABLE)?,
        identity_renewal: cache.identity_renewal()?,
        held_deletions: cache.held_deletions()?,
        server,
        tables: table_status,
    })
}

async fn central_part(target: &ServerTarget, specs: &[&TableSpec], out: &mut [TableStatus]) -> Result<(SchemaInfo, u64)> {
    let mut conn = target.connect().await?;
    let schema = central::check_schema(&mut conn, target).await?;
    for (spec, line) in specs.iter().zip(out.iter_mut()) {
        if let Some((rows, checksum)) = central::table_checksum(&mut conn, target, spec).await? {
            line.central_rows = Some(rows);
            line.central_checksum = Some(checksum);
        }
    }
    let conflicts: i64 = sqlx::query_scalar("SELECT count(*) FROM noesis_sync.conflicts WHERE resolution IS NULL")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| target.classify(e))?;
    let _ = conn.close().await;
    Ok((schema, conflicts as u64))
}
