//! Where a device keeps its cache when no `--data-dir` / `NOESIS_DATA_DIR` is
//! given: the OS's per-user application-data folder.

use std::path::PathBuf;

/// Folder name under the OS application-data folder.
const APP_FOLDER: &str = "Noesis";

/// The folder of a data folder that holds the legacy migration's snapshots
/// (a fact of the data folder, which the cache also keeps private).
pub const SNAPSHOT_FOLDER: &str = "legacy-snapshot";

/// `~/Library/Application Support/Noesis` on macOS, `%APPDATA%\Noesis` on
/// Windows, `$XDG_DATA_HOME/Noesis` (usually `~/.local/share/Noesis`) on Linux.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().or_else(|| dirs::home_dir().map(|h| h.join(".local/share"))).unwrap_or_else(|| PathBuf::from(".")).join(APP_FOLDER)
}
