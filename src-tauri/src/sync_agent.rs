//! Runs the engine's sync agent inside the app when this device has a server,
//! and forwards its status reports to the window as `sync://status`, each
//! followed by a check whether the cycle changed the cache (`cache://changed`).
//!
//! One agent runs at a time, for the server saved in the cache. Saving a server
//! (the wizard, also when reopened from Settings) replaces it: the running
//! agent stops after its current batch, and a new one starts against the saved
//! server. Each start is a new *generation* (kept in [`AppState`]): an agent or
//! report of an older generation is dropped, so a quick second save cannot
//! leave two agents running or show the old server's status.

use noesis_engine::central::ServerTarget;
use noesis_engine::sync::{start_agent, AgentConfig};
use noesis_engine::DatabaseUrl;
use tauri::{Manager, Runtime};

use crate::state::AppState;
use crate::sync_status::SyncStatus;

/// Starts the agent at launch on Tauri's async runtime; it runs until another
/// server is saved or the app quits (its handle lives in [`AppState`], for
/// "Sync now" and pause), paused when the user paused sync before the last
/// restart. Without a server, or without a usable password, the app stays
/// local-only and says why in the log.
pub fn start<R: Runtime>(app: &tauri::App<R>) {
    restart(app.handle());
}

/// The saved server with its password resolved; `None` (and a log line why)
/// when there is none or it cannot be used.
fn saved_target(state: &AppState) -> Option<ServerTarget> {
    let url = match state.cache().server_url() {
        Ok(Some(url)) => url,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!("cannot read the configured server: {e}");
            return None;
        }
    };
    match DatabaseUrl::parse(&url).and_then(|u| ServerTarget::resolve(&u)) {
        Ok(target) => Some(target),
        Err(e) => {
            tracing::warn!("sync is off: {e}");
            None
        }
    }
}

/// Stops the running agent, if any, and starts one for the server saved now:
/// at launch, and each time the wizard saves a server. Returns at once; the
/// old agent is awaited and the new one started in the background.
pub fn restart<R: Runtime>(app: &tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let (generation, old) = state.replace_agent();
    let target = saved_target(&state);
    let data_dir = state.data_dir().to_path_buf();
    let paused = state.cache().sync_paused().unwrap_or(false);
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Some(old) = old {
            tracing::info!("stopping the sync agent of the previous server");
            old.stop().await;
        }
        let Some(target) = target else { return };
        let mut config = AgentConfig::new(data_dir, target.clone());
        config.paused = paused;
        let agent = match start_agent(config) {
            Ok(agent) => agent,
            Err(e) => {
                tracing::warn!("the sync agent could not start: {e}");
                return;
            }
        };
        tracing::info!(server = %target.url(), "sync agent started");
        let mut reports = agent.status();
        if let Err(superseded) = handle.state::<AppState>().set_agent(generation, agent, target) {
            // Another server was saved while this one started.
            superseded.stop().await;
            return;
        }
        loop {
            let report = SyncStatus::from_agent(&reports.borrow_and_update());
            let state = handle.state::<AppState>();
            if state.agent_generation() != generation {
                break;
            }
            // The counts only the cache knows (held deletions, unreadable
            // server rows, pending edits): a pull that held deletions must say
            // so in this very report, not at the window's next poll.
            let report = {
                let cache = state.cache();
                report.clone().with_pending(&cache).unwrap_or(report)
            };
            state.publish_agent_status(generation, report);
            // A cycle that pulled has written the cache on the agent's connection.
            state.check_cache_changed();
            if reports.changed().await.is_err() {
                break;
            }
        }
    });
}
