//! What the shell holds for the app's lifetime: the data folder and the open
//! local cache. Commands borrow the cache through a mutex: SQLite calls take
//! microseconds to a few milliseconds, so contention is not a concern, and
//! background sync uses its own connection (WAL lets both work at once).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use noesis_engine::cache::Cache;
use noesis_engine::central::ServerTarget;
use noesis_engine::sync::AgentHandle;

use crate::cache_changed::{CacheChanged, CacheWatch};
use crate::sync_status::SyncStatus;

/// Where sync status reports go: the window's `sync://status` event in the
/// app, nowhere in tests that do not install one.
type StatusSink = Box<dyn Fn(&SyncStatus) + Send + Sync>;

/// Where `cache://changed` goes: the window's event in the app, nowhere in
/// tests that do not install one.
type ChangeSink = Box<dyn Fn(&CacheChanged) + Send + Sync>;

/// Turns start-at-login on or off (`Some`) or reads it (`None`); installed by
/// the real app, absent in command tests.
type Autostart = Box<dyn Fn(Option<bool>) -> Result<bool, String> + Send + Sync>;

/// Environment variable naming the data folder, as for `noesis-sync --data-dir`;
/// tests point it at an empty temporary folder.
pub const DATA_DIR_ENV: &str = "NOESIS_DATA_DIR";

/// The app's state, managed by Tauri.
pub struct AppState {
    data_dir: PathBuf,
    cache: Mutex<Cache>,
    status_sink: OnceLock<StatusSink>,
    /// The cache's data version as last seen, to tell the window when another
    /// connection (the agent's pulls, another program) changed the data.
    cache_watch: CacheWatch,
    change_sink: OnceLock<ChangeSink>,
    /// The sync agent's latest report, once it runs.
    agent_status: Mutex<Option<SyncStatus>>,
    /// The running sync agent, for "Sync now" and pause; `None` without a server.
    agent: Mutex<Option<AgentHandle>>,
    /// The server, password resolved, of the running agent (conflicts and
    /// related cards query it directly).
    server: Mutex<Option<ServerTarget>>,
    /// Counts agent (re)starts: an agent started for an older server is not
    /// kept, and its last reports are not shown, once a newer one was asked for.
    agent_generation: AtomicU64,
    /// Start at login, when the platform plugin is present.
    autostart: OnceLock<Autostart>,
}

impl AppState {
    /// Opens (creating if needed) the cache in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, noesis_engine::Error> {
        let cache = Cache::open(data_dir)?;
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            cache: Mutex::new(cache),
            status_sink: OnceLock::new(),
            cache_watch: CacheWatch::new(),
            change_sink: OnceLock::new(),
            agent_status: Mutex::new(None),
            agent: Mutex::new(None),
            server: Mutex::new(None),
            agent_generation: AtomicU64::new(0),
            autostart: OnceLock::new(),
        })
    }

    /// The data folder: `NOESIS_DATA_DIR` when set, else the OS app-data folder.
    pub fn data_dir_from_env() -> PathBuf {
        std::env::var_os(DATA_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(noesis_engine::data_dir::default_data_dir)
    }

    /// The data folder in use.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The cache, for one command.
    pub fn cache(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves the connection usable (SQLite
        // rolls back an unfinished statement), so a poisoned lock is recovered.
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Installs where sync status reports go (once, at app setup).
    pub fn set_sync_status_sink(&self, sink: impl Fn(&SyncStatus) + Send + Sync + 'static) {
        let _ = self.status_sink.set(Box::new(sink));
    }

    /// Installs where `cache://changed` goes (once, at app setup), and records
    /// the cache's data version now, so only later changes are reported.
    pub fn set_cache_changed_sink(&self, sink: impl Fn(&CacheChanged) + Send + Sync + 'static) {
        self.cache_watch.check(&self.cache());
        let _ = self.change_sink.set(Box::new(sink));
    }

    /// Tells the window when another connection changed the cache's data since
    /// the last check: after each agent report, and on the shell's timer.
    pub fn check_cache_changed(&self) {
        let Some(sink) = self.change_sink.get() else { return };
        let changed = self.cache_watch.check(&self.cache());
        if let Some(changed) = changed {
            sink(&changed);
        }
    }

    /// Reports the current status after an edit, so the pending count moves as
    /// the user works. Reading the status cannot fail the edit that triggered it.
    pub fn publish_sync_status(&self, cache: &Cache) {
        let Some(sink) = self.status_sink.get() else { return };
        match self.current_sync_status(cache) {
            Ok(status) => sink(&status),
            Err(e) => tracing::warn!("cannot read the sync status: {}", e.message),
        }
    }

    /// The status now: the agent's latest report with today's pending count,
    /// or what the cache alone tells before the agent reports (or without one).
    pub fn current_sync_status(&self, cache: &Cache) -> crate::error::CommandResult<SyncStatus> {
        let latest = self.agent_status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match latest {
            Some(status) => status.with_pending(cache),
            None => SyncStatus::from_cache(cache),
        }
    }

    /// Records and forwards one report of the agent of `generation`; a report
    /// of an agent already replaced (another server was saved) is dropped.
    pub fn publish_agent_status(&self, generation: u64, status: SyncStatus) {
        let mut latest = self.agent_status.lock().unwrap_or_else(|p| p.into_inner());
        if generation != self.agent_generation() {
            return;
        }
        *latest = Some(status.clone());
        drop(latest);
        if let Some(sink) = self.status_sink.get() {
            sink(&status);
        }
    }

    /// The generation of the agent that should run now.
    pub fn agent_generation(&self) -> u64 {
        self.agent_generation.load(Ordering::SeqCst)
    }

    /// Starts a new agent generation: hands back the running agent (for the
    /// caller to stop) and forgets its server and reports, so nothing is sent
    /// to the old server once another one was saved.
    pub fn replace_agent(&self) -> (u64, Option<AgentHandle>) {
        let mut agent = self.agent.lock().unwrap_or_else(|p| p.into_inner());
        let generation = self.agent_generation.fetch_add(1, Ordering::SeqCst) + 1;
        *self.server.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.agent_status.lock().unwrap_or_else(|p| p.into_inner()) = None;
        (generation, agent.take())
    }

    /// Keeps the agent of `generation` and its server for the commands that
    /// use them; when a newer generation was asked for meanwhile, hands the
    /// agent back instead (to be stopped).
    pub fn set_agent(&self, generation: u64, agent: AgentHandle, server: ServerTarget) -> Result<(), AgentHandle> {
        let mut slot = self.agent.lock().unwrap_or_else(|p| p.into_inner());
        if generation != self.agent_generation() {
            return Err(agent);
        }
        *slot = Some(agent);
        *self.server.lock().unwrap_or_else(|p| p.into_inner()) = Some(server);
        Ok(())
    }

    /// Runs `f` on the agent when one runs; `false` when there is none.
    pub fn with_agent(&self, f: impl FnOnce(&AgentHandle)) -> bool {
        match self.agent.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(agent) => {
                f(agent);
                true
            }
            None => false,
        }
    }

    /// The server the running agent syncs with.
    pub fn server(&self) -> Option<ServerTarget> {
        self.server.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Installs the start-at-login switch (once, in the real app).
    pub fn set_autostart(&self, switch: impl Fn(Option<bool>) -> Result<bool, String> + Send + Sync + 'static) {
        let _ = self.autostart.set(Box::new(switch));
    }

    /// Sets (`Some`) or reads (`None`) start at login; `None` when the app
    /// cannot (no plugin, e.g. in tests).
    pub fn autostart(&self, enable: Option<bool>) -> Option<Result<bool, String>> {
        self.autostart.get().map(|switch| switch(enable))
    }
}
