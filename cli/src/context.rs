//! What every command needs from the global options: the data dir, the cache,
//! and the server (if any) with its password resolved.

use std::path::PathBuf;

use noesis_engine::cache::Cache;
use noesis_engine::data_dir::default_data_dir;
use noesis_engine::{DatabaseUrl, Result};

use crate::Cli;

/// Global options, resolved.
pub struct Context {
    /// `--data-dir` or the OS default.
    pub data_dir: PathBuf,
    /// `--database-url` as given, if it was.
    pub database_url: Option<String>,
    /// `--json`.
    pub json: bool,
}

impl Context {
    /// Takes the global options out of the parsed command line.
    pub fn new(cli: &Cli) -> Self {
        Self { data_dir: cli.data_dir.clone().unwrap_or_else(default_data_dir), database_url: cli.database_url.clone(), json: cli.json }
    }

    /// Opens (creating if needed) this device's cache.
    pub fn cache(&self) -> Result<Cache> {
        Cache::open(&self.data_dir)
    }

    /// The server URL: `--database-url`, else the one this device remembers
    /// (checked again: any local program can write the cache). Warns on
    /// stderr when the password may cross the network without TLS.
    pub fn server_url(&self, cache: Option<&Cache>) -> Result<Option<DatabaseUrl>> {
        let url = match &self.database_url {
            Some(text) => Some(DatabaseUrl::parse(text)?),
            None => match cache.map(|c| c.server_url()).transpose()?.flatten() {
                Some(text) => Some(DatabaseUrl::parse(&text)?),
                None => None,
            },
        };
        if let Some(warning) = url.as_ref().and_then(noesis_engine::central::unencrypted_warning) {
            eprintln!("warning: {warning}");
        }
        Ok(url)
    }
}
