//! Runs the engine's sync agent inside the app when this device has a server,
//! and forwards its status reports to the window as `sync://status`.

use noesis_engine::central::ServerTarget;
use noesis_engine::sync::{start_agent, AgentConfig};
use noesis_engine::DatabaseUrl;
use tauri::{Manager, Runtime};

use crate::state::AppState;
use crate::sync_status::SyncStatus;

/// Starts the agent on Tauri's async runtime; it runs for the app's lifetime
/// (its handle lives in [`AppState`], for "Sync now" and pause), paused when
/// the user paused sync before the last restart.
/// Without a server, or without a usable password, the app stays local-only
/// and says why in the log.
pub fn start<R: Runtime>(app: &tauri::App<R>) {
    start_once(app.handle());
}

/// Marks that the agent was started, so saving a server again (the wizard
/// reopened from Settings) does not start a second one.
#[derive(Default)]
struct AgentStarted(std::sync::atomic::AtomicBool);

/// Starts the agent unless it already runs: at launch, and when the wizard
/// saves a server.
pub fn start_once<R: Runtime>(app: &tauri::AppHandle<R>) {
    if app.try_state::<AgentStarted>().is_none() {
        app.manage(AgentStarted::default());
    }
    let state = app.state::<AppState>();
    let url = match state.cache().server_url() {
        Ok(Some(url)) => url,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!("cannot read the configured server: {e}");
            return;
        }
    };
    let target = match DatabaseUrl::parse(&url).and_then(|u| ServerTarget::resolve(&u)) {
        Ok(target) => target,
        Err(e) => {
            tracing::warn!("sync is off: {e}");
            return;
        }
    };
    if app.state::<AgentStarted>().0.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let data_dir = state.data_dir().to_path_buf();
    let paused = state.cache().sync_paused().unwrap_or(false);
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut config = AgentConfig::new(data_dir, target.clone());
        config.paused = paused;
        let agent = match start_agent(config) {
            Ok(agent) => agent,
            Err(e) => {
                tracing::warn!("the sync agent could not start: {e}");
                return;
            }
        };
        let mut reports = agent.status();
        handle.state::<AppState>().set_agent(agent, target);
        loop {
            let report = SyncStatus::from_agent(&reports.borrow_and_update());
            handle.state::<AppState>().publish_agent_status(report);
            if reports.changed().await.is_err() {
                break;
            }
        }
    });
}
