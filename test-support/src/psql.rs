//! The real `psql` client, for tests that write to PostgreSQL as another
//! program would (the Python server, an administrator), shared by the engine,
//! CLI and desktop tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `psql` of the test servers (`NOESIS_TEST_PG_BIN`, set by
/// scripts/with-test-postgres.sh), else the one on PATH.
pub fn psql() -> PathBuf {
    match std::env::var("NOESIS_TEST_PG_BIN") {
        Ok(bin) if Path::new(&bin).join("psql").exists() => Path::new(&bin).join("psql"),
        _ => PathBuf::from("psql"),
    }
}

/// Runs `sql` on `url` through `psql`, stopping at the first error, and
/// returns its unaligned, tuples-only output; panics with psql's message if
/// it failed.
pub fn run_psql(url: &str, sql: &str) -> String {
    let out =
        Command::new(psql()).args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]).output().expect("run psql");
    assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("psql prints UTF-8")
}
