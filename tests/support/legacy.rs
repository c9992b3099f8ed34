//! Helpers of the migration tests: generated legacy stores, file hashes, running
//! `migrate`/`verify`, and a fingerprint of everything the migration writes
//! centrally, to compare end states.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use noesis_engine::legacy::raw::verbatim_sha256;
use noesis_test_support::generate::{generate, GenerateSpec, Generated};

use super::{cli, run_psql};

/// A generated legacy folder, deleted with the guard.
pub struct LegacyStore {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
    /// What was generated.
    pub generated: Generated,
}

impl LegacyStore {
    /// Generates a store.
    pub fn new(spec: &GenerateSpec) -> Self {
        let dir = tempfile::Builder::new().prefix("noesis-legacy-").tempdir().unwrap();
        let generated = generate(dir.path(), spec).expect("generate a legacy store");
        Self { dir, generated }
    }

    /// The legacy folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// SHA-256 of every file under `dir`, by path: proves the sources were not touched
/// (no new journal, WAL or shm file either).
pub fn hash_tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), verbatim_sha256(&std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// `noesis-sync --json --database-url URL migrate --legacy-dir DIR <extra>`.
pub fn migrate_cmd(url: &str, data_dir: &Path, legacy: &Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = cli(data_dir);
    cmd.args(["--json", "--database-url", url, "migrate", "--legacy-dir"]).arg(legacy).args(extra);
    cmd
}

/// Runs `migrate` to completion.
pub fn migrate(url: &str, data_dir: &Path, legacy: &Path, extra: &[&str]) -> Output {
    migrate_cmd(url, data_dir, legacy, extra).output().unwrap()
}

/// Runs `verify --json`.
pub fn verify(url: &str, data_dir: &Path, legacy: &Path) -> Output {
    let mut cmd = cli(data_dir);
    cmd.args(["--json", "--database-url", url, "verify", "--legacy-dir"]).arg(legacy);
    cmd.output().unwrap()
}

/// Sum of a count over the tables of a `migrate --json` report.
pub fn total(report: &serde_json::Value, field: &str) -> u64 {
    report["tables"].as_array().unwrap().iter().map(|t| t[field].as_u64().unwrap()).sum()
}

/// The report's entry of one table.
pub fn table<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["tables"].as_array().unwrap().iter().find(|t| t["table"] == name).unwrap_or_else(|| panic!("no {name} in {report}"))
}

/// Every row of every table in `public` and `noesis_sync` (digested, table by
/// table) and the position of every sequence: what "a dry run leaves the
/// database unchanged" is checked against.
pub fn database_state(url: &str) -> String {
    let tables = run_psql(
        url,
        "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
         WHERE table_schema IN ('public', 'noesis_sync') AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    let digests: Vec<String> = tables
        .lines()
        .map(|t| format!("SELECT '{t} ' || count(*) || ' ' || md5(coalesce(string_agg(r::text, '' ORDER BY r::text), '')) FROM {t} r"))
        .chain(["SELECT 'sequence ' || schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused') FROM pg_sequences"
            .to_string()])
        .collect();
    run_psql(url, &format!("SELECT * FROM ({}) s ORDER BY 1", digests.join(" UNION ALL ")))
}

/// Everything a migration writes centrally, as text to compare: each table's rows,
/// the conflicts, the rejects, and how many changelog rows exist. Device ids and
/// times are left out (they differ between two devices doing the same thing).
pub fn central_state(url: &str) -> String {
    run_psql(
        url,
        "SELECT concat_ws(E'\\n',
            (SELECT count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(t)::text, '' ORDER BY id), '')) FROM memory_cards t),
            (SELECT count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(t)::text, '' ORDER BY id), '')) FROM chat_sessions t),
            (SELECT count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(t)::text, '' ORDER BY id), '')) FROM mindfile_entries t),
            (SELECT count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(t)::text, '' ORDER BY id), '')) FROM documents t),
            (SELECT count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(t)::text, '' ORDER BY id), '')) FROM document_chunks t),
            (SELECT 'conflicts ' || count(*) || ' ' || md5(coalesce(string_agg(table_name || row_id || coalesce(losing_version::text, '') || coalesce(winning_version::text, ''), '' ORDER BY table_name, row_id, losing_version::text), '')) FROM noesis_sync.conflicts),
            (SELECT 'rejects ' || count(*) || ' ' || md5(coalesce(string_agg(table_name || row_key || reason || raw_sha256, '' ORDER BY table_name, row_key, raw_sha256), '')) FROM noesis_sync.legacy_rejects),
            (SELECT 'changelog ' || count(*) FROM noesis_sync.changelog))",
    )
}
