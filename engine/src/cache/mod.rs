//! The local cache: one SQLite file per data dir, `<data-dir>/cache.sqlite3`,
//! that the app reads and edits instantly, online or offline.
//!
//! It holds the synced tables under their central names (see
//! `migrations/0001_tables.sql`), an outbox filled by triggers whoever writes,
//! shadow copies for three-way merges, a full-text index, and this device's
//! identity. WAL mode lets the app, the agent and a `sqlite3` shell use the file
//! at the same time.

mod central_unreadable;
mod chat_sessions;
mod device;
mod documents;
mod field_edits;
mod first_run;
mod held_deletions;
mod history_seen;
mod last_sync;
mod memory_cards;
mod migrations;
mod mindfile_entries;
mod outbox;
mod preferences;
mod pull_stage;
mod row_io;
mod rows;
mod search;
pub(crate) mod triggers;
mod unfit;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use central_unreadable::UnreadableRow;
pub(crate) use central_unreadable::{note as note_central, reason_of as central_reason};
pub use chat_sessions::{ChatMessage, ChatSession, ChatSessionSummary};
pub(crate) use device::write_state;
pub(crate) use device::SETTLED_OP_ID;
pub use device::{DeviceIdentity, IdentityRenewal};
pub use documents::{Document, DocumentChunk, MAX_CHUNKS};
pub(crate) use field_edits::forget as forget_field_edits;
pub use first_run::FirstRun;
pub(crate) use held_deletions::{
    any_held as any_held_deletion, hold as hold_deletion, is_held as is_held_deletion, release as release_held_deletion,
};
pub use held_deletions::{is_mass_deletion, HeldDecision, HeldDeletions, HeldDirection, MASS_DELETE_MIN};
pub use memory_cards::{Approval, CardCursor, CardDraft, CardFacets, CardFilter, CardPage, FacetCount, MemoryCard, MAX_PAGE};
pub use migrations::CACHE_SCHEMA_VERSION;
pub use mindfile_entries::MindfileEntry;
pub use outbox::{OutboxEntry, RejectedChange};
pub use preferences::{DEFAULT_LOG_LEVEL, LOG_LEVELS};
pub(crate) use pull_stage::{stage_begin, write_staged};
pub(crate) use row_io::{delete_row, sqlite_value_owned, write_row, write_shadow};
pub use search::SearchHit;

use crate::error::{Error, Result};

/// The cache's file name inside the data dir.
pub const CACHE_FILE: &str = "cache.sqlite3";

/// How long a writer waits for another process's write lock before failing: a
/// sync batch holds it for well under a second, a shell user may hold it longer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The folders the engine and the app keep in a data folder (the legacy
/// snapshots, the app's logs), made private with it.
pub const DATA_SUBFOLDERS: [&str; 2] = [crate::data_dir::SNAPSHOT_FOLDER, "logs"];

/// An open local cache.
pub struct Cache {
    conn: Connection,
    path: PathBuf,
}

impl Cache {
    /// Opens (creating if needed) the cache in `data_dir`, brings its schema up to
    /// date and makes sure the device has an id.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let io = |context: &str| {
            let context = context.to_string();
            move |source| Error::Io { context, path: data_dir.to_path_buf(), source }
        };
        crate::private_files::create_dir(data_dir).map_err(io("cannot create the data folder"))?;
        // Folders and files an older version left readable by others.
        crate::private_files::tighten_data_folder(data_dir, CACHE_FILE, &DATA_SUBFOLDERS)
            .map_err(io("cannot make the data folder private"))?;
        let path = data_dir.join(CACHE_FILE);
        crate::private_files::create_file(&path).map_err(io("cannot create the cache file"))?;
        let conn = Connection::open(&path).map_err(|e| cache_error(&path, "opening it", e))?;
        let mut cache = Self { conn, path };
        cache.configure()?;
        migrations::apply(&mut cache.conn, &cache.path)?;
        triggers::install_all(&mut cache.conn).map_err(|e| cache_error(&cache.path, "installing its sync and search triggers", e))?;
        central_unreadable::scan_if_due(&mut cache)?;
        cache.device()?;
        Ok(cache)
    }

    fn configure(&self) -> Result<()> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            // 16 KB pages for a new cache (an existing one keeps its own): rows
            // here are a few hundred bytes and shadow copies sit inside their
            // B-tree, so 4 KB pages held about ten and split often; a pull's
            // writing thread spent a tenth less time with 16 KB pages.
            .and_then(|_| self.conn.pragma_update(None, "page_size", 16384))
            .and_then(|_| self.conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| self.conn.pragma_update(None, "synchronous", "NORMAL"))
            // The pull stages each batch in temporary tables (see pull_stage.rs):
            // a few MB at most, kept out of temporary files.
            .and_then(|_| self.conn.pragma_update(None, "temp_store", "MEMORY"))
            .map_err(|e| cache_error(&self.path, "configuring it", e))
    }

    /// A second connection to the same cache file, with the same settings, for
    /// work on another thread: a long pull applies batches there while the
    /// task that owns this one fetches the next. The schema is already current.
    pub(crate) fn reopen(&self) -> Result<Cache> {
        let conn = Connection::open(&self.path).map_err(|e| cache_error(&self.path, "opening it", e))?;
        let cache = Self { conn, path: self.path.clone() };
        cache.configure()?;
        Ok(cache)
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for engine modules that run their own queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably, for transactions.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Wraps a SQLite error with this cache's path and what was being done.
    pub fn error(&self, context: &str, e: rusqlite::Error) -> Error {
        cache_error(&self.path, context, e)
    }
}

fn cache_error(path: &Path, context: &str, e: rusqlite::Error) -> Error {
    Error::Cache {
        path: path.to_path_buf(),
        context: context.to_string(),
        source: Some(crate::error::DriverError::sqlite(&e)),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{DriverError, Error};

    /// A cache file that is not SQLite fails with the cache's own message,
    /// and the SQLite error stays reachable as its source, with its code.
    #[test]
    fn a_broken_cache_keeps_sqlites_error_as_its_source() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cache.sqlite3"), vec![b'x'; 4096]).unwrap();
        let err = super::Cache::open(dir.path()).err().expect("a file that is not SQLite cannot open");
        assert!(matches!(err, Error::Cache { .. }), "{err}");
        let source = std::error::Error::source(&err).expect("the driver error is kept");
        let driver = source.downcast_ref::<DriverError>().expect("as a DriverError");
        assert_eq!(driver.sqlite_code(), Some(26), "SQLITE_NOTADB: {driver}");
    }
}
