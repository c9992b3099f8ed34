//! Pull: brings the server's changes into the cache.
//!
//! Reads the changelog after this device's cursor and below the horizon (see
//! [`crate::central::fetch_changes`]), fetches the current version of each
//! changed row, and applies them in one SQLite transaction per batch with
//! capture off, updating shadow copies and the cursor in the same transaction.
//! A row with a local change not yet pushed is left alone: the next push merges
//! it against the server's version, so an unpushed edit is never overwritten.
//! This device's own changes coming back are recognised (the cache already
//! holds them) and only acknowledged.
//!
//! A device with no cursor starts with a snapshot: every row, read in one
//! REPEATABLE READ transaction, and the cursor set to that snapshot's horizon.

mod batch;
mod guard;
mod pipeline;
mod snapshot;

use rusqlite::Connection;
use sqlx::{PgConnection, Row as _};

use self::batch::{apply_batch, fetch_batch};
use self::pipeline::Applier;
use self::snapshot::snapshot;
use super::cancel::Cancel;
use crate::cache::{self, Cache, DeviceIdentity};
use crate::central::{Cursor, ServerTarget};
use crate::error::Result;
use crate::tables::{self, TableSpec};

/// Changelog rows read per batch (one SQLite transaction each).
pub const PULL_BATCH: i64 = 5000;

/// `sync_state` key of the pull cursor (JSON).
const CURSOR: &str = "pull_cursor";

/// `sync_state` key of the identity of the server the cursor belongs to.
const SERVER_ID: &str = "pull_server_id";

/// `sync_state` key: "1" when this device opted in to pulling embeddings.
pub const PULL_EMBEDDINGS: &str = "pull_embeddings";

/// `sync_state` key: set once the embeddings were loaded after opting in.
const EMBEDDINGS_LOADED: &str = "embeddings_loaded";

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullReport {
    /// Rows written into the cache.
    pub applied: u64,
    /// Rows removed from the cache.
    pub deleted: u64,
    /// Rows left for the next push to merge (they have unpushed local edits).
    pub deferred: u64,
    /// Changes the cache already held (this device's own, or repeats).
    pub acknowledged: u64,
    /// Rows the server deleted that stay here: the deletion would remove most
    /// of a table on this device, so it waits for the user's word (see
    /// [`Cache::held_deletions`]).
    pub held: u64,
    /// Whether this pull started from a full snapshot.
    pub snapshot: bool,
    /// Whether the snapshot was forced because the server pruned changes this
    /// device had not read (it was silent longer than the device expiry).
    pub resynced: bool,
    /// Whether changes exist that cannot be read yet because an older
    /// transaction on the server is still running; pull again soon.
    pub waiting: bool,
    /// Server rows this app cannot read (a JSON value nested deeper than it
    /// parses, a number beyond a 64-bit float): set aside with the reason in
    /// the cache's `central_unreadable` (which `status` lists) while the pull
    /// goes on; the local copy stays as it was.
    pub unreadable: u64,
}

impl PullReport {
    /// Adds the row counts of `other` (a batch applied elsewhere) to this one.
    fn add_counts(&mut self, other: &PullReport) {
        self.applied += other.applied;
        self.deleted += other.deleted;
        self.deferred += other.deferred;
        self.acknowledged += other.acknowledged;
        self.held += other.held;
        self.unreadable += other.unreadable;
    }
}

/// Pulls until the cache has everything below the horizon.
pub async fn pull(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    device: &DeviceIdentity,
    cancel: &Cancel,
) -> Result<PullReport> {
    let mut report = PullReport::default();
    let server = server_position(conn, target).await?;
    let known = cursor(cache)?;
    if let Some(why) = known.and_then(|c| why_resync(c, &server, cache.state(SERVER_ID).ok().flatten().as_deref())) {
        tracing::warn!("{why}; resyncing from a full snapshot (unpushed edits are kept and pushed)");
        report.resynced = true;
    }
    let with_embeddings = cache.state(PULL_EMBEDDINGS)?.as_deref() == Some("1") && central_has_embeddings(conn, target).await?;
    let mut cursor = match known.filter(|_| !report.resynced) {
        Some(c) => c,
        None => {
            report.snapshot = true;
            let mut specs = tables::EDITABLE.to_vec();
            if with_embeddings {
                specs.push(tables::EMBEDDINGS);
            }
            let c = snapshot(cache, conn, target, &specs, &mut report).await?;
            if cancel.is_cancelled() {
                // Incomplete: no cursor is kept, the next start loads it again.
                return Ok(report);
            }
            cache.set_state(CURSOR, &serde_json::to_string(&c).expect("a cursor serialises"))?;
            cache.set_state(SERVER_ID, &server.id)?;
            if with_embeddings {
                cache.set_state(EMBEDDINGS_LOADED, "1")?;
            }
            c
        }
    };
    if cache.state(SERVER_ID)?.is_none() {
        // A cache from before server identities: its cursor is this server's.
        cache.set_state(SERVER_ID, &server.id)?;
    }
    if with_embeddings && cache.state(EMBEDDINGS_LOADED)?.is_none() {
        // Opted in after the first sync: load them all once; later changes
        // arrive through the changelog like any other.
        snapshot(cache, conn, target, &[tables::EMBEDDINGS], &mut report).await?;
        cache.set_state(EMBEDDINGS_LOADED, "1")?;
    }
    let wanted = |spec: &TableSpec| spec.pushed || (with_embeddings && spec.name == tables::EMBEDDINGS.name);
    let ahead = guard::deletions_ahead(conn, target, cursor, wanted).await?;
    let hold = guard::mass_deletions(cache, ahead)?;
    cursor = pull_changes(cache, conn, target, cursor, wanted, &hold, cancel, &mut report).await?;
    report.waiting = !cancel.is_cancelled() && changes_beyond(conn, target, cursor).await?;
    record_cursor(conn, target, device, cursor).await?;
    Ok(report)
}

/// Whether the changelog holds changes after `cursor` (necessarily above the
/// horizon once a pull has read everything below it).
async fn changes_beyond(conn: &mut PgConnection, target: &ServerTarget, cursor: Cursor) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM noesis_sync.changelog WHERE (xid, change_id) > ($1::text::xid8, $2))")
        .bind(cursor.xid.to_string())
        .bind(cursor.change_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))
}

/// Below this point the server deleted its changelog.
/// What the server says about its changelog, read before a pull to tell
/// whether this device's cursor belongs to it.
struct ServerPosition {
    /// The database's identity (`server_info.server_id`).
    id: String,
    /// Changes at or below this were pruned.
    pruned: Cursor,
    /// The next transaction id the server will assign: no cursor read from
    /// this server's history can be beyond it.
    next_xid: u64,
}

async fn server_position(conn: &mut PgConnection, target: &ServerTarget) -> Result<ServerPosition> {
    let row = sqlx::query(
        "SELECT server_id::text, pruned_xid::text, pruned_change_id, pg_snapshot_xmax(pg_current_snapshot())::text
         FROM noesis_sync.server_info",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(ServerPosition {
        id: row.get(0),
        pruned: Cursor { xid: row.get::<String, _>(1).parse().unwrap_or(0), change_id: row.get(2) },
        next_xid: row.get::<String, _>(3).parse().unwrap_or(u64::MAX),
    })
}

/// Why a device holding `cursor` must read the server whole again, if it
/// must: each case would otherwise leave rows it never reads.
fn why_resync(cursor: Cursor, server: &ServerPosition, last_server: Option<&str>) -> Option<&'static str> {
    if last_server.is_some_and(|id| id != server.id) {
        Some("this device last synced with another server (or a database since recreated)")
    } else if cursor.xid > server.next_xid {
        Some("the server's history is older than this device's position (a database restored from a backup)")
    } else if cursor < server.pruned {
        Some("the server pruned changes this device never read")
    } else {
        None
    }
}

async fn central_has_embeddings(conn: &mut PgConnection, target: &ServerTarget) -> Result<bool> {
    sqlx::query_scalar("SELECT to_regclass('public.embeddings') IS NOT NULL").fetch_one(&mut *conn).await.map_err(|e| target.classify(e))
}
/// This device's pull cursor; `None` before the first pull.
pub fn cursor(cache: &Cache) -> Result<Option<Cursor>> {
    Ok(cache.state(CURSOR)?.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Stores the cursor inside a batch's transaction.
fn set_cursor(tx: &Connection, text: &str) -> rusqlite::Result<()> {
    cache::write_state(tx, CURSOR, text)
}

/// Opts this device in or out of pulling embeddings (768 floats each, possibly
/// hundreds of thousands: opt-in). Opting out removes the local copies.
pub fn set_pull_embeddings(cache: &mut Cache, on: bool) -> Result<()> {
    cache.without_capture(|tx| {
        if on {
            cache::write_state(tx, PULL_EMBEDDINGS, "1")?;
        } else {
            tx.execute("DELETE FROM sync_state WHERE key IN (?1, ?2)", [PULL_EMBEDDINGS, EMBEDDINGS_LOADED])?;
            tx.execute("DELETE FROM embeddings", [])?;
            tx.execute("DELETE FROM sync_shadow WHERE table_name = 'embeddings'", [])?;
        }
        Ok(())
    })
}

/// Reads and applies changelog batches from `cursor` until none are left below
/// the horizon (or `cancel` is set); returns the cursor reached. A single
/// short batch is applied here; when a batch is full, more follow, and batches
/// are applied on their own thread while the next is read (see `pipeline`).
#[allow(clippy::too_many_arguments)]
async fn pull_changes(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    mut cursor: Cursor,
    wanted: impl Fn(&TableSpec) -> bool + Copy,
    hold: &std::collections::HashSet<&'static str>,
    cancel: &Cancel,
    report: &mut PullReport,
) -> Result<Cursor> {
    let mut applier: Option<Applier> = None;
    let mut fetched = Ok(());
    while !cancel.is_cancelled() {
        let batch = match fetch_batch(conn, target, cursor, PULL_BATCH, wanted).await {
            Ok(Some(mut batch)) => {
                batch.hold_deletions = hold.clone();
                batch
            }
            Ok(None) => break,
            Err(e) => {
                fetched = Err(e);
                break;
            }
        };
        let next = batch.cursor.expect("changelog batches carry their cursor");
        let full = batch.changes as i64 >= PULL_BATCH;
        if applier.is_none() && full {
            applier = Some(Applier::start(cache)?);
        }
        match &applier {
            Some(a) => {
                if !a.send(batch).await {
                    break;
                }
            }
            None => apply_batch(cache, &batch, report)?,
        }
        cursor = next;
    }
    if let Some(a) = applier {
        report.add_counts(&a.finish().await?);
    }
    fetched?;
    Ok(cursor)
}

/// Tells the server how far this device has read (for pruning the changelog).
async fn record_cursor(conn: &mut PgConnection, target: &ServerTarget, device: &DeviceIdentity, cursor: Cursor) -> Result<()> {
    sqlx::query(
        "INSERT INTO noesis_sync.devices (device_id, name, cursor_xid, cursor_change_id) VALUES ($1, $2, $3::text::xid8, $4)
         ON CONFLICT (device_id) DO UPDATE SET cursor_xid = EXCLUDED.cursor_xid, cursor_change_id = EXCLUDED.cursor_change_id, last_seen = now()",
    )
    .bind(device.id.to_string())
    .bind(&device.name)
    .bind(cursor.xid.to_string())
    .bind(cursor.change_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(())
}
