//! The first-run wizard: server, schema, legacy data, preview, migrate, report.
//! Every decision is the engine's (`central::diagnose`, `central::schema_plan`,
//! `legacy::discover`, `legacy::MigrationHandle`); this file only passes values
//! across IPC, keeps the wizard's session (the password typed in it, the running
//! migration) and forwards migration progress as the `wizard://progress` event.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tauri::{Manager, Runtime, State};
use tauri_specta::Event;

use noesis_engine::central::{self, Diagnosis, SchemaPlan, ServerForm, ServerTarget};
use noesis_engine::legacy::discover::{self, ChangeGroup, LegacyFolder, RecordedRun, RejectGroup};
use noesis_engine::legacy::next_step::{self, NextStep};
use noesis_engine::legacy::summary::MigrationOutcome;
use noesis_engine::legacy::{self, MigrateOptions, MigrationHandle, ProgressEvent};
use noesis_engine::{credentials, DatabaseUrl, Secret};

use crate::error::{CommandError, CommandResult};
use crate::folder_dialog::FolderDialog;
use crate::state::AppState;

/// The wizard's session: the password typed in it (memory only; the keychain is
/// the one place it is stored), the migration running, if any, and the two
/// ways out to the app (the progress event, starting the sync agent).
pub struct WizardSession {
    /// The password typed, with the server (host:port, as the keychain keys
    /// it) it was typed for: it is never offered to another server.
    password: Mutex<Option<(String, Secret)>>,
    migration: Mutex<Option<MigrationHandle>>,
    sink: Arc<dyn Fn(WizardProgress) + Send + Sync>,
    start_agent: Box<dyn Fn() + Send + Sync>,
}

impl WizardSession {
    /// The password typed this session, if it was typed for `url`'s server.
    fn password_for(&self, url: &DatabaseUrl) -> Option<Secret> {
        lock(&self.password).as_ref().filter(|(server, _)| *server == url.keychain_service()).map(|(_, p)| p.clone())
    }
}

/// Manages the wizard's session on `app`: progress goes to the window as
/// `wizard://progress`; saving a server (re)starts the sync agent against it.
pub fn install<R: Runtime>(app: &tauri::App<R>) {
    let (events, agent) = (app.handle().clone(), app.handle().clone());
    app.manage(WizardSession {
        password: Mutex::new(None),
        migration: Mutex::new(None),
        sink: Arc::new(move |event| {
            if matches!(event, WizardProgress::Finished { .. }) {
                // The cache was just filled: the indicator's counts move.
                let state = events.state::<AppState>();
                state.publish_sync_status(&state.cache());
            }
            if let Err(e) = event.emit(&events) {
                tracing::warn!("cannot send wizard://progress: {e}");
            }
        }),
        start_agent: Box::new(move || crate::sync_agent::restart(&agent)),
    });
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the front end needs to decide whether to open the wizard, and its first form.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct WizardStart {
    /// Open the wizard at start: never finished or skipped here, and either no
    /// server or one the wizard saved (its migration may wait for resuming).
    pub show: bool,
    /// The configured server, or the defaults.
    pub form: ServerForm,
    /// Whether a server is configured already (reopened from Settings).
    pub server_configured: bool,
}

/// Whether to show the wizard, and the server form to start from.
#[tauri::command]
#[specta::specta]
pub async fn wizard_start(state: State<'_, AppState>) -> CommandResult<WizardStart> {
    let cache = state.cache();
    let url = cache.server_url()?;
    let form = match url.as_deref().map(DatabaseUrl::parse) {
        Some(Ok(url)) => ServerForm::from_url(&url),
        _ => ServerForm::default(),
    };
    Ok(WizardStart { show: cache.first_run()?.opens_wizard(url.is_some()), form, server_configured: url.is_some() })
}

/// Records that the wizard was finished or skipped ("Skip for now": the app runs
/// on the local cache and syncs once a server is set).
#[tauri::command]
#[specta::specta]
pub async fn wizard_dismiss(state: State<'_, AppState>) -> CommandResult<()> {
    Ok(state.cache().first_run_dismissed()?)
}

/// The form's server with the password typed now, or the one remembered this
/// session, or the keychain's.
fn form_target(session: &WizardSession, form: &ServerForm, password: Option<String>) -> noesis_engine::Result<ServerTarget> {
    let url = form.url()?;
    let typed = password.filter(|p| !p.is_empty()).map(Secret::new).or_else(|| session.password_for(&url));
    ServerTarget::with_typed_password(&url, typed)
}

/// The configured server, with the session's password when there is one.
fn saved_target(state: &AppState, session: &WizardSession) -> CommandResult<ServerTarget> {
    let url = state.cache().server_url()?.ok_or_else(|| CommandError::invalid("No server is configured yet: save one first."))?;
    let url = DatabaseUrl::parse(&url)?;
    Ok(ServerTarget::with_typed_password(&url, session.password_for(&url))?)
}

/// "Test connection": a diagnosis with one finding per problem and its fix.
#[tauri::command]
#[specta::specta]
pub async fn wizard_test_connection(
    session: State<'_, WizardSession>,
    form: ServerForm,
    password: Option<String>,
) -> CommandResult<Diagnosis> {
    let target = form_target(&session, &form, password);
    if let Some(diagnosis) = Diagnosis::of_settings(&target) {
        return Ok(diagnosis);
    }
    Ok(central::diagnose(&target?).await)
}

/// Where the password went.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct SavedServer {
    /// The server, without password.
    pub server_url: String,
    /// The keychain that holds the password, in words; `None` when none was typed.
    pub password_stored_in: Option<String>,
}

/// Saves the server: the password to the OS keychain (never to a file), the URL
/// to the cache; then replaces the running sync agent (if any, on the server
/// saved before) with one for this server.
#[tauri::command]
#[specta::specta]
pub async fn wizard_save_server(
    state: State<'_, AppState>,
    session: State<'_, WizardSession>,
    form: ServerForm,
    password: Option<String>,
) -> CommandResult<SavedServer> {
    let url = form.url()?;
    let password = password.filter(|p| !p.is_empty()).map(Secret::new);
    let stored_in = match &password {
        Some(p) => Some(credentials::store_password(&url, p)?.describe().to_string()),
        None => None,
    };
    *lock(&session.password) = password.map(|p| (url.keychain_service(), p));
    {
        let cache = state.cache();
        // Another server is read from the start: the pull notices its identity.
        cache.set_server_url(&url)?;
        cache.first_run_server_saved()?;
        state.publish_sync_status(&cache);
    }
    (session.start_agent)();
    Ok(SavedServer { server_url: url.to_string(), password_stored_in: stored_in })
}

/// What is left to do on the server just saved (from Settings): its schema,
/// the legacy data (only if this device never migrated to it), or nothing.
#[tauri::command]
#[specta::specta]
pub async fn wizard_next_step(state: State<'_, AppState>, session: State<'_, WizardSession>) -> CommandResult<NextStep> {
    let device_id = state.cache().device()?.id.to_string();
    Ok(next_step::next_step(&saved_target(&state, &session)?, &device_id).await?)
}

/// The central schema's state and what applying it would add.
#[tauri::command]
#[specta::specta]
pub async fn wizard_schema_plan(state: State<'_, AppState>, session: State<'_, WizardSession>) -> CommandResult<SchemaPlan> {
    Ok(central::schema_plan(&saved_target(&state, &session)?).await?)
}

/// Applies the central schema (additive) and returns the state after.
#[tauri::command]
#[specta::specta]
pub async fn wizard_apply_schema(state: State<'_, AppState>, session: State<'_, WizardSession>) -> CommandResult<SchemaPlan> {
    let target = saved_target(&state, &session)?;
    central::setup(&target).await?;
    Ok(central::schema_plan(&target).await?)
}

/// Legacy folders found in the usual places, and the central migration log.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct LegacyScan {
    /// Folders in the usual places that hold a legacy store, with their counts.
    pub found: Vec<LegacyFolder>,
    /// Places looked in, as `~/…`.
    pub looked_in: Vec<String>,
    /// Migrations already recorded on the server, newest first.
    pub runs: Vec<RecordedRun>,
}

/// Looks for legacy data in the usual places and reads the migration log.
#[tauri::command]
#[specta::specta]
pub async fn wizard_scan_legacy(state: State<'_, AppState>, session: State<'_, WizardSession>) -> CommandResult<LegacyScan> {
    let home = dirs::home_dir().unwrap_or_default();
    let found = discover::usual_places(&home).iter().filter_map(|dir| discover::inspect(dir).ok()).collect();
    let looked_in = discover::USUAL_PLACES.iter().map(|p| format!("~/{p}")).collect();
    let device_id = state.cache().device()?.id.to_string();
    let runs = discover::recorded_runs(&saved_target(&state, &session)?, &device_id).await?;
    Ok(LegacyScan { found, looked_in, runs })
}

/// What a folder the user picked holds.
#[tauri::command]
#[specta::specta]
pub async fn wizard_inspect_legacy(path: String) -> CommandResult<LegacyFolder> {
    Ok(discover::inspect(&discover::typed_folder(&path)?)?)
}

/// "Choose folder…": the system's folder dialog, starting in the home folder.
/// Returns the folder chosen (`None` when cancelled) for the front end to put
/// in the path field and check with [`wizard_inspect_legacy`], exactly as a
/// typed folder is.
#[tauri::command]
#[specta::specta]
pub async fn wizard_choose_legacy_folder(dialog: State<'_, FolderDialog>) -> CommandResult<Option<String>> {
    Ok(dialog.choose(dirs::home_dir()).await.map(|p| p.display().to_string()))
}

/// Migration progress, sent as the `wizard://progress` event.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, Event)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[tauri_specta(event_name = "wizard://progress")]
pub enum WizardProgress {
    /// A step without row counts (snapshot, verification, filling the cache).
    Step {
        /// What is happening.
        message: String,
    },
    /// A table starts.
    TableStarted {
        /// Central table name.
        table: String,
        /// Rows to read in this run.
        total: f64,
        /// Rows already committed by an interrupted run.
        resumed_after: f64,
    },
    /// A batch is committed.
    Rows {
        /// Central table name.
        table: String,
        /// Rows read so far.
        done: f64,
        /// Rows to read.
        total: f64,
        /// Throughput.
        rows_per_sec: f64,
        /// Seconds left, once known.
        eta_secs: Option<f64>,
    },
    /// A table is done.
    TableFinished {
        /// Central table name.
        table: String,
    },
    /// Worth knowing; the run goes on.
    Warning {
        /// What.
        message: String,
    },
    /// The run ended.
    Finished {
        /// Its outcome.
        outcome: MigrationOutcome,
    },
    /// The run failed.
    Failed {
        /// Stable error code (as a command error's).
        code: noesis_engine::ErrorCode,
        /// What happened and what to do.
        message: String,
    },
    /// The user cancelled; committed batches stay and Resume continues.
    Cancelled,
}

impl From<ProgressEvent> for WizardProgress {
    fn from(e: ProgressEvent) -> Self {
        match e {
            ProgressEvent::Step { message } => Self::Step { message },
            ProgressEvent::TableStarted { table, total, resumed_after } => {
                Self::TableStarted { table, total: total as f64, resumed_after: resumed_after as f64 }
            }
            ProgressEvent::Rows { table, done, total, rows_per_sec, eta_secs, .. } => {
                Self::Rows { table, done: done as f64, total: total as f64, rows_per_sec, eta_secs }
            }
            ProgressEvent::TableFinished { table } => Self::TableFinished { table },
            ProgressEvent::Warning { message } => Self::Warning { message },
        }
    }
}

fn options(state: &AppState, legacy_dir: &str) -> CommandResult<MigrateOptions> {
    let folder = discover::inspect(&discover::typed_folder(legacy_dir)?)?;
    let data_dir = state.data_dir().to_path_buf();
    Ok(MigrateOptions::new(folder.path.into(), data_dir))
}

fn progress_sink(session: &WizardSession) -> legacy::ProgressSink {
    let sink = session.sink.clone();
    Arc::new(move |e| sink(e.into()))
}

/// The dry run: per table what would be inserted, unchanged, conflicted, rejected.
#[tauri::command]
#[specta::specta]
pub async fn wizard_preview(
    state: State<'_, AppState>,
    session: State<'_, WizardSession>,
    legacy_dir: String,
) -> CommandResult<MigrationOutcome> {
    let target = saved_target(&state, &session)?;
    let device = state.cache().device()?;
    let mut options = options(&state, &legacy_dir)?;
    options.dry_run = true;
    let report = legacy::migrate(&target, &device, &options, &progress_sink(&session)).await?;
    Ok((&report).into())
}

/// Starts (or resumes) the migration in the background; progress and the end
/// arrive as `wizard://progress` events.
#[tauri::command]
#[specta::specta]
pub async fn wizard_start_migration(
    state: State<'_, AppState>,
    session: State<'_, WizardSession>,
    legacy_dir: String,
) -> CommandResult<()> {
    let target = saved_target(&state, &session)?;
    let device = state.cache().device()?;
    let options = options(&state, &legacy_dir)?;
    let mut running = lock(&session.migration);
    if running.as_ref().is_some_and(|h| !h.is_finished()) {
        return Err(CommandError::invalid("A migration is already running."));
    }
    let sink = session.sink.clone();
    *running = Some(MigrationHandle::start(target, device, options, progress_sink(&session), move |outcome| {
        sink(match outcome {
            Ok(report) => WizardProgress::Finished { outcome: (&report).into() },
            Err(e) => WizardProgress::Failed { code: e.code(), message: e.to_string() },
        })
    }));
    Ok(())
}

/// Stops the running migration safely: committed batches stay, Resume goes on.
#[tauri::command]
#[specta::specta]
pub async fn wizard_cancel_migration(session: State<'_, WizardSession>) -> CommandResult<()> {
    let taken = lock(&session.migration).take();
    if let Some(handle) = taken {
        let was_running = !handle.is_finished();
        handle.cancel();
        if was_running {
            (session.sink)(WizardProgress::Cancelled);
        }
    }
    Ok(())
}

/// Rows this device's migrations imported with a change, grouped by table and
/// kind of change: the report lists every one beside the rejects.
#[tauri::command]
#[specta::specta]
pub async fn wizard_changed_rows(state: State<'_, AppState>, session: State<'_, WizardSession>) -> CommandResult<Vec<ChangeGroup>> {
    let device_id = state.cache().device()?.id.to_string();
    Ok(discover::changes(&saved_target(&state, &session)?, &device_id).await?)
}

/// Rows this device's migration kept aside, grouped by table and reason.
#[tauri::command]
#[specta::specta]
pub async fn wizard_rejects(state: State<'_, AppState>, session: State<'_, WizardSession>) -> CommandResult<Vec<RejectGroup>> {
    let device_id = state.cache().device()?.id.to_string();
    Ok(discover::rejects(&saved_target(&state, &session)?, &device_id).await?)
}
