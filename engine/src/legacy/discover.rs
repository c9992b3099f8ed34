//! Finding legacy folders for the wizard: the usual places an old Noesis
//! checkout lives, and what each holds (rows per legacy table), read without
//! copying and without leaving a trace (see [`super::snapshot`] on opening).
//! Also what the central migration log says other devices did, so a second
//! laptop is told the data is already there.

use std::path::{Path, PathBuf};

use sqlx::Row;

use super::fields::Note;
use super::importer::Store;
use super::snapshot::{open_source, sqlite_error};
use crate::central::ServerTarget;
use crate::error::{Error, Result};

/// Folders under the home folder where the old server's checkout usually is,
/// most likely first.
pub const USUAL_PLACES: &[&str] = &[
    "myCode/genai-agent-core",
    "noesis",
    "code/genai-agent-core",
    "src/genai-agent-core",
    "genai-agent-core",
    "Projects/genai-agent-core",
];

/// Rows found in one legacy table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LegacyTable {
    /// Table name (the same centrally).
    pub table: String,
    /// Rows in it (saturating at u32::MAX, far beyond any real store).
    pub rows: u32,
}

/// A legacy folder and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LegacyFolder {
    /// The folder.
    pub path: String,
    /// Store files looked for, and whether each was found.
    pub stores: Vec<LegacyStoreFile>,
    /// Rows per table present.
    pub tables: Vec<LegacyTable>,
}

/// One store file of a legacy folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LegacyStoreFile {
    /// Where it was looked for.
    pub path: String,
    /// Whether it is there.
    pub found: bool,
}

impl LegacyFolder {
    /// Whether there is anything to migrate.
    pub fn has_data(&self) -> bool {
        self.stores.iter().any(|s| s.found)
    }
}

/// The usual places under `home` that hold at least one legacy store.
pub fn usual_places(home: &Path) -> Vec<PathBuf> {
    USUAL_PLACES.iter().map(|p| home.join(p)).filter(|dir| Store::ALL.iter().any(|s| dir.join(s.relative_path()).is_file())).collect()
}

/// A folder as a person types it (in the wizard, or quoted on the command
/// line): surrounding spaces dropped, a leading `~/` as the home folder.
pub fn typed_folder(text: &str) -> Result<PathBuf> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Invalid { detail: "Type the folder of the old Noesis project, e.g. ~/myCode/genai-agent-core.".into() });
    }
    Ok(match text.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => PathBuf::from(text),
    })
}

/// What `dir` holds; an error when it is not a folder or holds no store.
pub fn inspect(dir: &Path) -> Result<LegacyFolder> {
    if !dir.is_dir() {
        return Err(Error::LegacyDirMissing { path: dir.to_path_buf() });
    }
    let mut stores = Vec::new();
    let mut tables = Vec::new();
    for store in Store::ALL {
        let path = dir.join(store.relative_path());
        let found = path.is_file();
        stores.push(LegacyStoreFile { path: path.display().to_string(), found });
        if !found {
            continue;
        }
        let conn = open_source(&path)?;
        for imp in super::importers().into_iter().filter(|i| i.store() == store) {
            let name = imp.spec().name;
            let exists = conn
                .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| r.get::<_, i64>(0))
                .map_err(|e| sqlite_error(&path, "listing its tables", e))?;
            if exists == 0 {
                continue;
            }
            // The name comes from our own table list, never from input.
            let rows: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| r.get(0))
                .map_err(|e| sqlite_error(&path, "counting its rows", e))?;
            tables.push(LegacyTable { table: name.to_string(), rows: u32::try_from(rows).unwrap_or(u32::MAX) });
        }
    }
    if !stores.iter().any(|s| s.found) {
        return Err(stores_missing(dir));
    }
    Ok(LegacyFolder { path: dir.display().to_string(), stores, tables })
}

/// The error for a folder holding neither store, pointing at the project root
/// above it when the folder is inside one (its `data` or `data/memory` folder).
pub fn stores_missing(dir: &Path) -> Error {
    let root = dir.ancestors().skip(1).take(2).find(|up| Store::ALL.iter().any(|s| up.join(s.relative_path()).is_file()));
    let hint = match root {
        Some(root) => format!("this folder is inside the old Noesis project: pass its root {} instead", root.display()),
        None => "pass the old Noesis project root (the folder holding `data/`)".to_string(),
    };
    Error::LegacyStoresMissing { path: dir.to_path_buf(), hint }
}

/// A migration recorded in the central log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RecordedRun {
    /// The device that ran it.
    pub device_name: String,
    /// Whether that device is this one.
    pub this_device: bool,
    /// The legacy folder it read.
    pub legacy_dir: String,
    /// `running` (in progress, or stopped and not yet resumed), `interrupted`
    /// (stopped, then resumed by a later run), `completed` or `failed`.
    pub status: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339), if it did.
    pub finished_at: Option<String>,
}

/// Migration runs recorded centrally, newest first: another device's completed
/// run means the data is already there; this device's unfinished one can be
/// resumed (its resume points are on the server, so this survives quitting).
pub async fn recorded_runs(target: &ServerTarget, device_id: &str) -> Result<Vec<RecordedRun>> {
    let mut conn = target.connect().await?;
    let rows = sqlx::query(
        "SELECT device_id, device_name, legacy_dir, status, started_at, finished_at
         FROM noesis_sync.legacy_runs ORDER BY started_at DESC LIMIT 20",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(rows
        .into_iter()
        .map(|r| RecordedRun {
            this_device: r.get::<String, _>(0) == device_id,
            device_name: r.get(1),
            legacy_dir: r.get(2),
            status: r.get(3),
            started_at: r.get::<chrono::DateTime<chrono::Utc>, _>(4).to_rfc3339(),
            finished_at: r.get::<Option<chrono::DateTime<chrono::Utc>>, _>(5).map(|t| t.to_rfc3339()),
        })
        .collect())
}

/// Ids a [`RejectGroup`] or [`ChangeGroup`] carries: every one for any store
/// seen so far; past it the group says how many more there are and where
/// they are kept.
const IDS_SHOWN: i64 = 1000;

/// Rejected rows of one table for one reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RejectGroup {
    /// Central table name.
    pub table: String,
    /// Why they were not imported.
    pub reason: String,
    /// How many.
    pub rows: u32,
    /// Their legacy ids, whole (the first 1,000; the rest are in
    /// `noesis_sync.legacy_rejects`).
    pub sample_ids: Vec<String>,
}

/// Rows this device's migrations kept in `noesis_sync.legacy_rejects`, grouped.
pub async fn rejects(target: &ServerTarget, device_id: &str) -> Result<Vec<RejectGroup>> {
    let mut conn = target.connect().await?;
    let rows = sqlx::query(
        "SELECT table_name, reason, count(*)::int8, (array_agg(row_key ORDER BY reject_id))[1:$2]
         FROM noesis_sync.legacy_rejects WHERE device_id = $1
         GROUP BY table_name, reason ORDER BY table_name, count(*) DESC",
    )
    .bind(device_id)
    .bind(IDS_SHOWN)
    .fetch_all(&mut conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(rows
        .into_iter()
        .map(|r| RejectGroup {
            table: r.get(0),
            reason: r.get(1),
            rows: u32::try_from(r.get::<i64, _>(2)).unwrap_or(u32::MAX),
            sample_ids: r.get(3),
        })
        .collect())
}

/// Legacy rows of one table imported with one kind of change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChangeGroup {
    /// Central table name.
    pub table: String,
    /// The change's name, as in `migrate --json` (`nul_bytes_removed`, …).
    pub change: String,
    /// What was changed and why, in words.
    pub why: String,
    /// How many rows.
    pub rows: u32,
    /// Their ids, whole (the first 1,000; the rest are in
    /// `noesis_sync.legacy_changes`).
    pub ids: Vec<String>,
}

/// Rows this device's migrations imported with a change, grouped by table and
/// kind of change: the report lists them beside the rejects.
pub async fn changes(target: &ServerTarget, device_id: &str) -> Result<Vec<ChangeGroup>> {
    let mut conn = target.connect().await?;
    let rows = sqlx::query(
        "SELECT table_name, change, count(*)::int8, (array_agg(row_key ORDER BY row_key))[1:$2]
         FROM noesis_sync.legacy_changes WHERE device_id = $1
         GROUP BY table_name, change ORDER BY table_name, count(*) DESC, change",
    )
    .bind(device_id)
    .bind(IDS_SHOWN)
    .fetch_all(&mut conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let change: String = r.get(1);
            ChangeGroup {
                table: r.get(0),
                why: Note::from_code(&change).map_or_else(|| change.replace('_', " "), |n| n.explanation().to_string()),
                change,
                rows: u32::try_from(r.get::<i64, _>(2)).unwrap_or(u32::MAX),
                ids: r.get(3),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use noesis_test_support::generate::{generate, GenerateSpec};

    #[test]
    fn a_folder_inside_the_project_points_at_the_project_root() {
        let project = tempfile::tempdir().unwrap();
        let memory = project.path().join("data/memory");
        std::fs::create_dir_all(&memory).unwrap();
        std::fs::write(memory.join("memory_cards.sqlite3"), b"").unwrap();
        for inside in [project.path().join("data"), memory.clone()] {
            let message = inspect(&inside).unwrap_err().to_string();
            assert!(message.contains(&format!("pass its root {} instead", project.path().display())), "{message}");
        }
        let elsewhere = tempfile::tempdir().unwrap();
        let message = inspect(elsewhere.path()).unwrap_err().to_string();
        assert!(message.contains("pass the old Noesis project root"), "{message}");
    }

    #[test]
    fn a_generated_store_is_found_in_a_usual_place_and_counted() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("noesis");
        std::fs::create_dir_all(&dir).unwrap();
        let spec = GenerateSpec { cards: 12, sessions: 3, documents: 2, chunks: 5, hostile: false, ..GenerateSpec::small() };
        generate(&dir, &spec).unwrap();
        assert_eq!(usual_places(home.path()), vec![dir.clone()]);
        let folder = inspect(&dir).unwrap();
        let rows = |t: &str| folder.tables.iter().find(|x| x.table == t).map(|x| x.rows);
        assert_eq!(rows("memory_cards"), Some(12));
        assert_eq!(rows("chat_sessions"), Some(3));
        assert_eq!(rows("documents"), Some(2));
        assert!(folder.has_data());
    }

    #[test]
    fn a_typed_folder_reads_as_people_type_it() {
        let home = dirs::home_dir().unwrap_or_default();
        assert_eq!(typed_folder("  ~/myCode/genai-agent-core ").unwrap(), home.join("myCode/genai-agent-core"));
        assert_eq!(typed_folder("/srv/noesis").unwrap(), PathBuf::from("/srv/noesis"));
        let empty = typed_folder("   ").unwrap_err();
        assert_eq!(empty.code(), crate::error::ErrorCode::Invalid);
        assert!(empty.to_string().contains("old Noesis project"), "{empty}");
    }

    #[test]
    fn a_folder_without_stores_says_so() {
        let dir = tempfile::tempdir().unwrap();
        assert!(usual_places(dir.path()).is_empty());
        assert_eq!(inspect(dir.path()).unwrap_err().code(), crate::error::ErrorCode::LegacyStoresMissing);
        assert_eq!(inspect(&dir.path().join("nope")).unwrap_err().code(), crate::error::ErrorCode::LegacyDirMissing);
    }
}
