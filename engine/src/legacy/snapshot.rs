//! Consistent copies of the legacy files, taken with SQLite's online backup API.
//!
//! The old server may still be writing its stores, so they are never read in
//! place: each is opened read-only (`mode=ro`, which also never creates or
//! rolls back a journal) and copied page by page into the data dir; everything
//! after reads the copy. The copy's *fingerprint* is SHA-256 of its bytes after
//! the 100-byte database header (the header holds counters the copy rewrites),
//! so the same source content always gives the same fingerprint.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use super::importer::Store;
use crate::error::{Error, Result};

/// Pages copied per backup step; between steps the source is unlocked so the old
/// server is never blocked for long.
const PAGES_PER_STEP: std::ffi::c_int = 1024;

/// Pause between backup steps, letting a writer in.
const STEP_PAUSE: Duration = Duration::from_millis(1);

/// The SQLite database header, which the copy does not reproduce byte for byte.
const HEADER_BYTES: u64 = 100;

/// A legacy store found in the legacy folder and copied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snapshot {
    /// Which store.
    pub store: Store,
    /// The original file (never written).
    pub source: PathBuf,
    /// The copy that is read.
    pub path: PathBuf,
    /// Content fingerprint of the copy.
    pub fingerprint: String,
    /// Size of the copy in bytes.
    pub bytes: u64,
}

/// Opens a SQLite file strictly read-only.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)
        .map_err(|e| sqlite_error(path, "opening it read-only", e))
}

/// Opens a legacy store for the backup without leaving a trace: a store in WAL
/// mode whose `-wal` file is absent (no writer has it open) is opened
/// `immutable=1`, because even a read-only connection would otherwise create
/// `-wal` and `-shm` files next to it. With a `-wal` present the old server is
/// running and its own files are used as they are.
pub(crate) fn open_source(path: &Path) -> Result<Connection> {
    let wal_mode = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut header = [0u8; 20];
            f.read_exact(&mut header).map(|_| header[18] == 2 && header[19] == 2)
        })
        .unwrap_or(false);
    let wal_file = PathBuf::from(format!("{}-wal", path.display()));
    if !wal_mode || wal_file.exists() {
        return open_read_only(path);
    }
    let absolute = std::fs::canonicalize(path).map_err(|e| io_error("cannot resolve the legacy store's path", path, e))?;
    let escaped = absolute.display().to_string().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    Connection::open_with_flags(
        format!("file:{escaped}?immutable=1"),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| sqlite_error(path, "opening it read-only", e))
}

/// Copies `store` from `legacy_dir` into `into` (created if needed); `None`
/// when the legacy folder has no such file.
pub fn take(legacy_dir: &Path, store: Store, into: &Path) -> Result<Option<Snapshot>> {
    let source = legacy_dir.join(store.relative_path());
    if !source.is_file() {
        return Ok(None);
    }
    crate::private_files::create_dir(into).map_err(|e| io_error("cannot create the snapshot folder", into, e))?;
    let path = into.join(store.snapshot_name());
    let partial = into.join(format!("{}.partial", store.snapshot_name()));
    let _ = std::fs::remove_file(&partial);
    // The copy is as private as the user's data, whatever the source's mode.
    crate::private_files::create_file(&partial).map_err(|e| io_error("cannot create the snapshot", &partial, e))?;
    {
        let src = open_source(&source)?;
        let mut dst = Connection::open(&partial).map_err(|e| sqlite_error(&partial, "creating the snapshot", e))?;
        let backup = rusqlite::backup::Backup::new(&src, &mut dst).map_err(|e| sqlite_error(&source, "starting the backup", e))?;
        backup.run_to_completion(PAGES_PER_STEP, STEP_PAUSE, None).map_err(|e| sqlite_error(&source, "copying it", e))?;
    }
    // Renamed only when complete: a kill during the copy leaves no half snapshot.
    std::fs::rename(&partial, &path).map_err(|e| io_error("cannot finish the snapshot", &path, e))?;
    let (fingerprint, bytes) = fingerprint(&path)?;
    Ok(Some(Snapshot { store, source, path, fingerprint, bytes }))
}

/// SHA-256 (hex) of a database file past its header, and the file's size.
pub fn fingerprint(path: &Path) -> Result<(String, u64)> {
    let mut file = std::fs::File::open(path).map_err(|e| io_error("cannot read the snapshot", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| io_error("cannot read the snapshot", path, e))?;
        if n == 0 {
            break;
        }
        let skip = HEADER_BYTES.saturating_sub(offset).min(n as u64) as usize;
        hasher.update(&buf[skip..n]);
        offset += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), offset))
}

/// Wraps a SQLite error on a legacy file with what to do.
pub fn sqlite_error(path: &Path, context: &str, e: rusqlite::Error) -> Error {
    Error::Legacy {
        path: path.to_path_buf(),
        context: context.to_string(),
        source: Some(crate::error::DriverError::sqlite(&e)),
        detail: e.to_string(),
    }
}

/// Wraps an I/O error on a file of the data dir with what was being done.
pub(crate) fn io_error(context: &str, path: &Path, source: std::io::Error) -> Error {
    Error::Io { context: context.to_string(), path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use noesis_test_support::generate::{generate, GenerateSpec};

    #[test]
    fn the_same_content_gives_the_same_fingerprint_and_a_change_another() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("legacy");
        let spec = GenerateSpec { hostile: false, ..GenerateSpec::small() };
        let generated = generate(&legacy, &spec).unwrap();
        let first = take(&legacy, Store::Memory, &dir.path().join("a")).unwrap().unwrap();
        let second = take(&legacy, Store::Memory, &dir.path().join("b")).unwrap().unwrap();
        assert_eq!(first.fingerprint, second.fingerprint, "a resumed run must find its high-water marks again");

        let conn = Connection::open(&generated.memory).unwrap();
        conn.execute("UPDATE chat_sessions SET title = 'changed' WHERE id = 'session-000000'", []).unwrap();
        drop(conn);
        let third = take(&legacy, Store::Memory, &dir.path().join("c")).unwrap().unwrap();
        assert_ne!(first.fingerprint, third.fingerprint, "changed content must not reuse the old marks");
        assert!(take(&legacy, Store::Documents, &dir.path().join("d")).unwrap().is_some());
        assert!(take(&dir.path().join("nowhere"), Store::Documents, &dir.path().join("e")).unwrap().is_none());
    }
}
