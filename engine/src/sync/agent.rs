//! The sync agent: runs in the background (inside the desktop app, or as
//! `noesis-sync agent`), keeps the cache and the server in step, and publishes
//! its status.
//!
//! It wakes on three things and otherwise sleeps: a NOTIFY from the server
//! (another device or program wrote), a write to the cache file by any process
//! with changes pending, and "sync now". While idle it sends one cheap
//! heartbeat a minute. When the server is unreachable (network lost, server
//! restarted, laptop asleep) it keeps publishing "offline", retries with
//! backoff and catches up by itself once the server is back.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::cancel::Cancel;
use super::cycle::sync_on;
use super::status::{SyncState, SyncStatus};
use super::watch::watch_cache;
use crate::cache::Cache;
use crate::central::ServerTarget;
use crate::error::{Error, Result};
use crate::status::ErrorReport;

/// The NOTIFY channel the change-capture triggers send on.
pub const CHANNEL: &str = "noesis_changes";

/// Idle heartbeat: proves the connection is alive (a dead one is noticed within
/// a minute) at one query per minute.
pub const HEARTBEAT: Duration = Duration::from_secs(60);

/// How long a heartbeat may take before the connection is deemed dead.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

/// When a file event found nothing pending, look once more this much later.
const LOCAL_RECHECK: Duration = Duration::from_millis(50);

/// How often the agent checks the cache for commits by other connections that
/// no file event announced: "pushed within a second" at one local query.
const LOCAL_CHECK: Duration = Duration::from_secs(1);

/// First and longest re-pull delay while changes wait behind an older open
/// transaction: quick at first (it usually commits within milliseconds), then
/// backing off so a long transaction costs a few queries a minute.
const WAITING_FIRST: Duration = Duration::from_millis(100);
/// See [`WAITING_FIRST`].
const WAITING_MAX: Duration = Duration::from_secs(10);

/// After a local file event, how long to let a burst of writes finish before
/// pushing them together.
const LOCAL_DEBOUNCE: Duration = Duration::from_millis(15);

/// How long a connection attempt may go unanswered before the status says
/// offline: refusals, unknown hosts, TLS and password failures come back well
/// within it; silence (a sleeping network, a firewall that drops) does not.
const NO_ANSWER_NOTICE: Duration = Duration::from_secs(2);

/// What the agent needs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// This device's data dir.
    pub data_dir: PathBuf,
    /// The server, password resolved.
    pub target: ServerTarget,
    /// Idle heartbeat interval (tests shorten it).
    pub heartbeat: Duration,
    /// Start paused (the user paused sync before the last restart): connect
    /// and report, but push and pull nothing until resumed.
    pub paused: bool,
}

impl AgentConfig {
    /// The usual configuration.
    pub fn new(data_dir: PathBuf, target: ServerTarget) -> Self {
        Self { data_dir, target, heartbeat: HEARTBEAT, paused: false }
    }
}

enum Command {
    SyncNow,
    Pause(bool),
    Stop,
}

/// A running agent. Dropping it asks the agent to stop after its current batch.
pub struct AgentHandle {
    status: watch::Receiver<SyncStatus>,
    cancel: Cancel,
    commands: mpsc::UnboundedSender<Command>,
    task: Option<JoinHandle<()>>,
}

impl AgentHandle {
    /// Status updates, newest first: `borrow()` for the current one,
    /// `changed().await` to wait for the next.
    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Runs a cycle now (and retries a failing server now).
    pub fn sync_now(&self) {
        let _ = self.commands.send(Command::SyncNow);
    }

    /// Pauses or resumes syncing; local edits keep queueing while paused.
    pub fn set_paused(&self, paused: bool) {
        let _ = self.commands.send(Command::Pause(paused));
    }

    /// Stops after the current batch and waits for the agent to finish.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        let _ = self.commands.send(Command::Stop);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for AgentHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
        let _ = self.commands.send(Command::Stop);
    }
}

/// Starts the agent on the current tokio runtime.
pub fn start(config: AgentConfig) -> Result<AgentHandle> {
    let cache = Cache::open(&config.data_dir)?;
    let mut first = SyncStatus::starting(cache.pending_count()?, cache.rejected_count()?);
    if config.paused {
        first.state = SyncState::Paused;
    }
    // The last sync before this start (the app's, or the CLI's), until this
    // agent finishes one.
    let last_sync = cache.last_sync()?;
    first.last_sync = last_sync;
    let (status_tx, status) = watch::channel(first);
    let (commands, command_rx) = mpsc::unbounded_channel();
    let cancel = Cancel::default();
    let paused = config.paused;
    let agent =
        Agent { config, cache, status: status_tx, commands: command_rx, cancel: cancel.clone(), paused, last_sync, open_conflicts: 0 };
    let task = tokio::spawn(agent.run());
    Ok(AgentHandle { status, cancel, commands, task: Some(task) })
}

struct Agent {
    config: AgentConfig,
    cache: Cache,
    status: watch::Sender<SyncStatus>,
    commands: mpsc::UnboundedReceiver<Command>,
    cancel: Cancel,
    paused: bool,
    last_sync: Option<chrono::DateTime<Utc>>,
    open_conflicts: u64,
}

/// Why a connected session ended.
enum Ended {
    Stop,
    Failed(Error),
}

impl Agent {
    async fn run(mut self) {
        if self.paused {
            self.publish(SyncState::Paused, None, None);
        }
        let mut backoff = Backoff::default();
        let mut local = match watch_cache(&self.config.data_dir) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("local writes by other programs will sync only on the next server event: {e}");
                None
            }
        };
        loop {
            match self.session(&mut backoff, local.as_mut().map(|w| &mut w.events)).await {
                Ended::Stop => return,
                Ended::Failed(e) => {
                    let delay = backoff.next_delay();
                    let state = if matches!(e, Error::Unreachable { .. }) { SyncState::Offline } else { SyncState::Error };
                    tracing::warn!(retry_in_ms = delay.as_millis() as u64, "sync {state:?}: {e}");
                    self.publish(state, Some(&e), Some(delay));
                    if self.wait(delay).await {
                        return;
                    }
                }
            }
        }
    }

    /// One connected stretch: connect, listen, sync, then wait for reasons to
    /// sync again until something fails or a stop is asked.
    async fn session(&mut self, backoff: &mut Backoff, mut local: Option<&mut mpsc::Receiver<()>>) -> Ended {
        let target = self.config.target.clone();
        let pool = match self.connect(&target).await {
            Ok(p) => p,
            Err(e) => return Ended::Failed(e),
        };
        let listener = match listen(&pool, &target).await {
            Ok(l) => l,
            Err(e) => return Ended::Failed(e),
        };
        let me = match self.cache.device() {
            Ok(d) => d.id.to_string(),
            Err(e) => return Ended::Failed(e),
        };
        let (server_tx, mut server) = mpsc::channel(16);
        // Dropped with this session, which ends the listening task.
        let _listening = AbortOnDrop(tokio::spawn(listen_loop(listener, target.clone(), self.config.heartbeat, server_tx)));
        let mut need_cycle = true;
        // While changes wait behind an older open transaction, pull again at
        // growing intervals: their NOTIFY has come and gone.
        let mut waiting_delay = WAITING_FIRST;
        // File events can arrive before the write they announce is committed;
        // a cheap local check each second catches any write they missed.
        let mut local_check = tokio::time::interval(LOCAL_CHECK);
        let mut seen_version = self.cache.data_version().unwrap_or(0);
        let mut recheck_local: Option<tokio::time::Instant> = None;
        let mut retry_waiting: Option<tokio::time::Instant> = None;
        loop {
            if need_cycle && !self.paused {
                match self.cycle(&pool, &target).await {
                    Err(e) => return Ended::Failed(e),
                    Ok(waiting) => {
                        retry_waiting = waiting.then(|| tokio::time::Instant::now() + waiting_delay);
                        waiting_delay = if waiting { (waiting_delay * 2).min(WAITING_MAX) } else { WAITING_FIRST };
                    }
                }
                backoff.reset();
                need_cycle = false;
            }
            tokio::select! {
                _ = sleep_until_some(retry_waiting) => need_cycle = true,
                event = server.recv() => match event {
                    // Our own pushes echo back; everything else is news.
                    Some(ServerEvent::Changed(payload)) => need_cycle |= !payload.ends_with(&format!(":{me}")),
                    Some(ServerEvent::Reconnected) => need_cycle = true,
                    Some(ServerEvent::Failed(e)) => return Ended::Failed(e),
                    None => return Ended::Failed(Error::Postgres { context: "listening for changes".into(), detail: "the listener stopped".into(), source: None  }),
                },
                _ = local_check.tick() => {
                    let version = self.cache.data_version().unwrap_or(seen_version);
                    if version != seen_version {
                        seen_version = version;
                        need_cycle |= self.cache.pending_count().map(|n| n > 0).unwrap_or(false);
                    }
                },
                Some(()) = next_local(&mut local) => {
                    tokio::time::sleep(LOCAL_DEBOUNCE).await;
                    if let Some(rx) = local.as_deref_mut() {
                        while rx.try_recv().is_ok() {}
                    }
                    if self.cache.pending_count().map(|n| n > 0).unwrap_or(true) {
                        need_cycle = true;
                    } else {
                        // The event may have come before the commit it announces.
                        recheck_local = Some(tokio::time::Instant::now() + LOCAL_RECHECK);
                    }
                },
                _ = sleep_until_some(recheck_local) => {
                    recheck_local = None;
                    need_cycle |= self.cache.pending_count().map(|n| n > 0).unwrap_or(false);
                },
                command = self.commands.recv() => match command {
                    Some(Command::SyncNow) => need_cycle = true,
                    Some(Command::Pause(p)) => {
                        self.paused = p;
                        need_cycle = !p;
                        self.publish(if p { SyncState::Paused } else { SyncState::Online }, None, None);
                    }
                    Some(Command::Stop) | None => return Ended::Stop,
                },
            }
        }
    }

    /// Connects; when the server has not answered within [`NO_ANSWER_NOTICE`],
    /// says "offline" (with the reason) while it goes on trying, so a silent
    /// network is told within seconds and not only at the timeout.
    async fn connect(&mut self, target: &ServerTarget) -> Result<PgPool> {
        let attempt = target.pool();
        tokio::pin!(attempt);
        tokio::select! {
            result = &mut attempt => return result,
            _ = tokio::time::sleep(NO_ANSWER_NOTICE) => {}
        }
        self.publish(SyncState::Offline, Some(&target.no_answer_yet(NO_ANSWER_NOTICE)), None);
        attempt.await
    }

    /// One cycle; `true` when changes wait behind an older open transaction.
    async fn cycle(&mut self, pool: &PgPool, target: &ServerTarget) -> Result<bool> {
        self.publish(SyncState::Syncing, None, None);
        let mut conn = pool.acquire().await.map_err(|e| target.classify(e))?;
        let report = sync_on(&mut self.cache, &mut conn, target, &self.cancel).await?;
        self.open_conflicts = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM noesis_sync.conflicts WHERE resolution IS NULL")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| target.classify(e))? as u64;
        self.last_sync = Some(Utc::now());
        self.publish(SyncState::Online, None, None);
        Ok(report.pull.waiting)
    }

    /// Waits `delay` (answering commands meanwhile); `true` when asked to stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return false,
                command = self.commands.recv() => match command {
                    Some(Command::SyncNow) => return false,
                    Some(Command::Pause(p)) => {
                        self.paused = p;
                        if p {
                            self.publish(SyncState::Paused, None, None);
                        } else {
                            // Resuming retries at once rather than after the backoff.
                            return false;
                        }
                    }
                    Some(Command::Stop) | None => return true,
                },
            }
        }
    }

    fn publish(&self, state: SyncState, error: Option<&Error>, retry_in: Option<Duration>) {
        let state = if self.paused && state != SyncState::Syncing { SyncState::Paused } else { state };
        let status = SyncStatus {
            state,
            error: error.map(ErrorReport::from),
            pending: self.cache.pending_count().unwrap_or(0),
            last_sync: self.last_sync,
            open_conflicts: self.open_conflicts,
            retry_at: retry_in.and_then(|d| chrono::Duration::from_std(d).ok()).map(|d| Utc::now() + d),
            rejected_changes: self.cache.rejected_count().unwrap_or(0),
        };
        self.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }
}

async fn listen(pool: &PgPool, target: &ServerTarget) -> Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await.map_err(|e| target.classify(e))?;
    listener.listen(CHANNEL).await.map_err(|e| target.classify(e))?;
    Ok(listener)
}

/// What the listening task reports.
enum ServerEvent {
    /// A NOTIFY arrived; its payload is "table:device".
    Changed(String),
    /// The connection dropped and was re-made; notifications may have been missed.
    Reconnected,
    /// The connection failed.
    Failed(Error),
}

/// Owns the LISTEN connection: forwards notifications and sends the idle
/// heartbeat, so the agent's select loop only reads a channel.
async fn listen_loop(mut listener: PgListener, target: ServerTarget, every: Duration, events: mpsc::Sender<ServerEvent>) {
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        let event = tokio::select! {
            note = listener.try_recv() => match note {
                Ok(Some(n)) => {
                    heartbeat.reset();
                    ServerEvent::Changed(n.payload().to_string())
                }
                Ok(None) => ServerEvent::Reconnected,
                Err(e) => ServerEvent::Failed(target.classify(e)),
            },
            // After a laptop sleeps, a dead TCP connection can swallow a query
            // for many minutes: give the heartbeat a deadline.
            _ = heartbeat.tick() => match tokio::time::timeout(HEARTBEAT_TIMEOUT, sqlx::query("SELECT 1").execute(&mut listener)).await {
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => ServerEvent::Failed(target.classify(e)),
                Err(_) => ServerEvent::Failed(Error::Unreachable {
                    host: target.url().host().to_string(),
                    port: target.url().port(),
                    detail: format!("the server did not answer a heartbeat within {} s", HEARTBEAT_TIMEOUT.as_secs()),
                }),
            },
        };
        let failed = matches!(event, ServerEvent::Failed(_));
        if events.send(event).await.is_err() || failed {
            return;
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next local-write signal, or never when not watching.
async fn next_local(local: &mut Option<&mut mpsc::Receiver<()>>) -> Option<()> {
    match local {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
