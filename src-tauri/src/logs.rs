//! The app's log: `<data folder>/logs/noesis-YYYY-MM-DD.log`, one file per
//! day (a new file at the first line after midnight), the last
//! [`KEEP_DAYS`] days kept. The level is the one chosen in Settings (kept by
//! the engine per device), applied live through a reload handle; `NOESIS_LOG`
//! overrides it for a session. The engine never logs secrets or row content,
//! so neither does this file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// Days of logs kept: enough to cover "it stopped syncing last week".
pub const KEEP_DAYS: usize = 7;

/// Environment variable that overrides the chosen level (`debug`,
/// `noesis_engine=trace`…), as for the CLI.
pub const LOG_ENV: &str = "NOESIS_LOG";

static LEVEL: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// The logs folder of a data folder.
pub fn logs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The filter for a chosen level: ours at that level, other crates at `warn`
/// unless more was asked.
fn filter(level: &str) -> EnvFilter {
    let others = if matches!(level, "error" | "warn") { level } else { "warn" };
    EnvFilter::new(format!("{others},noesis_engine={level},noesis_desktop={level}"))
}

/// Starts logging to the day's file (and stderr) at `level`.
pub fn init(data_dir: &Path, level: &str) {
    let chosen = std::env::var(LOG_ENV).ok().filter(|v| !v.is_empty()).map(EnvFilter::new).unwrap_or_else(|| filter(level));
    let (layer, handle) = reload::Layer::new(chosen);
    let dir = logs_dir(data_dir);
    let file = DailyFile::open(&dir);
    let registry = tracing_subscriber::registry().with(layer).with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let _ = match file {
        Some(file) => registry.with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(file)).try_init(),
        None => registry.try_init(),
    };
    let _ = LEVEL.set(handle);
}

/// Applies a newly chosen level at once.
pub fn set_level(level: &str) {
    if let Some(handle) = LEVEL.get() {
        if let Err(e) = handle.reload(filter(level)) {
            tracing::warn!("cannot change the log level: {e}");
        }
    }
}

/// Today's log file, reopened under a new name when the day changes.
struct DailyFile {
    dir: PathBuf,
    current: Mutex<(String, File)>,
}

impl DailyFile {
    fn open(dir: &Path) -> Option<Self> {
        noesis_engine::private_files::create_dir(dir).ok()?;
        let day = today();
        let file = open_day(dir, &day)?;
        prune(dir);
        Some(Self { dir: dir.to_path_buf(), current: Mutex::new((day, file)) })
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn open_day(dir: &Path, day: &str) -> Option<File> {
    noesis_engine::private_files::open_append(&dir.join(format!("noesis-{day}.log"))).ok()
}

/// Deletes all but the newest [`KEEP_DAYS`] log files.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut logs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("noesis-") && n.ends_with(".log")))
        .collect();
    logs.sort();
    let excess = logs.len().saturating_sub(KEEP_DAYS);
    for old in &logs[..excess] {
        let _ = std::fs::remove_file(old);
    }
}

/// One write to the file of the day it happens on.
struct DayWriter<'a>(&'a DailyFile);

impl Write for DayWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut current = self.0.current.lock().unwrap_or_else(|p| p.into_inner());
        let day = today();
        if current.0 != day {
            if let Some(file) = open_day(&self.0.dir, &day) {
                *current = (day, file);
                prune(&self.0.dir);
            }
        }
        current.1.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.current.lock().unwrap_or_else(|p| p.into_inner()).1.flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for DailyFile {
    type Writer = DayWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        DayWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_week_of_logs_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        for day in 1..=10 {
            std::fs::write(dir.path().join(format!("noesis-2025-01-{day:02}.log")), "x").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        prune(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left.len(), KEEP_DAYS + 1, "{left:?}");
        assert_eq!(left[0], "noesis-2025-01-04.log", "the oldest days go first");
        assert!(left.contains(&"notes.txt".to_string()), "other files in the folder are left alone");
    }
}
