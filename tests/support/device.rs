//! A simulated device for end-to-end sync tests: its own data dir, driven
//! through the `noesis-sync` binary and the real `sqlite3` shell.

use std::path::Path;
use std::process::Command;

use super::{all_output, cli, data_dir, stdout_json};

/// (rows, checksum) per table, in table order.
pub type Checksums = Vec<(u64, String)>;

/// One device: a data dir and the server URL it syncs with.
pub struct Device {
    /// The data dir (removed when the device is dropped).
    pub dir: tempfile::TempDir,
    /// Server URL, password included.
    pub url: String,
}

impl Device {
    /// A fresh device syncing with `url`.
    pub fn new(url: &str) -> Self {
        Self { dir: data_dir(), url: url.to_string() }
    }

    /// The CLI for this device, server set.
    pub fn cli(&self) -> Command {
        let mut cmd = cli(self.dir.path());
        cmd.env("NOESIS_DATABASE_URL", &self.url);
        cmd
    }

    /// Runs one `sync --json` and returns its report; panics with the output on failure.
    pub fn sync(&self) -> serde_json::Value {
        // Parallel tests share the server, whose pull horizon is cluster-wide:
        // wait generously for their transactions to end.
        let out = self.cli().args(["sync", "--json", "--wait", "120"]).output().unwrap();
        assert!(out.status.success(), "sync failed: {}", all_output(&out));
        stdout_json(&out)
    }

    /// `status --json`.
    pub fn status(&self) -> serde_json::Value {
        let out = self.cli().args(["status", "--json"]).output().unwrap();
        assert!(out.status.success(), "status failed: {}", all_output(&out));
        stdout_json(&out)
    }

    /// Per-table (rows, checksum) locally and on the server.
    pub fn checksums(&self) -> (Checksums, Checksums) {
        let status = self.status();
        let tables = status["tables"].as_array().unwrap();
        let local = tables.iter().map(|t| (t["local_rows"].as_u64().unwrap(), t["local_checksum"].as_str().unwrap().to_string())).collect();
        let central = tables
            .iter()
            .map(|t| (t["central_rows"].as_u64().unwrap_or(0), t["central_checksum"].as_str().unwrap_or("").to_string()))
            .collect();
        (local, central)
    }

    /// Path of the cache file.
    pub fn cache_path(&self) -> std::path::PathBuf {
        self.dir.path().join("cache.sqlite3")
    }

    /// Runs SQL on this device's cache through the real `sqlite3` shell.
    pub fn sqlite(&self, sql: &str) -> String {
        sqlite3(&self.cache_path(), sql)
    }
}

/// Runs SQL in the `sqlite3` shell (a separate process), returning its output.
pub fn sqlite3(path: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3").arg(path).arg(sql).output().expect("the sqlite3 shell is installed");
    assert!(out.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A memory card INSERT for the cache (`sqlite3`) or the server (`psql`).
pub fn card_sql(id: &str, text: &str) -> String {
    format!(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) \
         VALUES ('{id}', '2025-01-01T00:00:00Z', 'preferences', 'global', '{text}', 'pending', '{{\"reason\": \"written by a test\"}}');"
    )
}
