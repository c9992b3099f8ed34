//! The tray (menu-bar) icon: sync status at a glance, "Sync now", pause,
//! "Open Noesis" and "Quit". With it, closing the window hides it and the
//! agent keeps syncing (Settings › "Keep syncing when the window is closed",
//! kept per device by the engine's `close_to_tray`).
//!
//! The main window exists only once the event loop runs: Tauri creates the
//! config's windows at [`RunEvent::Ready`]. So what the tray does to the window
//! (start hidden, hide instead of close) is done from the app's run events
//! ([`on_run_event`]), not when the icon is installed.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Listener, Manager, RunEvent, Runtime, WindowEvent};

use crate::state::AppState;
use crate::sync_status::{SyncState, SyncStatus};

/// The argument start-at-login passes: start with the window hidden, syncing
/// from the tray.
pub const HIDDEN_ARG: &str = "--hidden";

/// The tray icon's id, to find it again: whether it exists decides what
/// closing the window does.
pub const TRAY_ID: &str = "main";

/// The label of the window the tray shows and hides (`tauri.conf.json`).
const MAIN_WINDOW: &str = "main";

/// The tray's first line for a status.
pub fn tray_label(status: &SyncStatus) -> String {
    let state = match status.state {
        SyncState::Connecting => "connecting",
        SyncState::Online => "up to date",
        SyncState::Offline => "offline",
        SyncState::Syncing => "syncing",
        SyncState::Error => "error",
        SyncState::Paused => "paused",
        SyncState::LocalOnly => "local only",
    };
    let count = |n: u32, what: &str| match n {
        0 => String::new(),
        1 => format!(", 1 change {what}"),
        n => format!(", {n} changes {what}"),
    };
    // Changes not accepted first: they wait for the user, pending ones do not.
    format!("Sync: {state}{}{}", count(status.not_accepted, "not accepted"), count(status.pending, "pending"))
}

/// What a tray menu item does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    /// "Sync now": a cycle at once (and a retry of an unreachable server).
    SyncNow,
    /// "Pause sync" ticked (`true`) or unticked.
    Pause(bool),
    /// "Open Noesis": show the window.
    Open,
    /// "Quit Noesis": end the app (the agent stops with it).
    Quit,
}

/// The action of the menu item `id`; `pause_ticked` is the pause item's tick
/// after the click (the menu toggles it itself).
pub fn menu_action(id: &str, pause_ticked: bool) -> Option<TrayAction> {
    match id {
        "sync_now" => Some(TrayAction::SyncNow),
        "pause" => Some(TrayAction::Pause(pause_ticked)),
        "open" => Some(TrayAction::Open),
        "quit" => Some(TrayAction::Quit),
        _ => None,
    }
}

/// Carries out a tray action with the same calls as the window's own
/// controls (`sync_now`, `set_sync_paused`), so both behave alike.
pub fn perform<R: Runtime>(app: &AppHandle<R>, action: TrayAction) {
    match action {
        TrayAction::SyncNow => {
            app.state::<AppState>().with_agent(|agent| agent.sync_now());
        }
        TrayAction::Pause(paused) => {
            let state = app.state::<AppState>();
            if let Err(e) = state.cache().set_sync_paused(paused) {
                tracing::warn!("cannot keep the pause setting: {e}");
            }
            state.with_agent(|agent| agent.set_paused(paused));
        }
        TrayAction::Open => show_main(app),
        TrayAction::Quit => app.exit(0),
    }
}

/// Adds the tray icon with its menu; [`on_run_event`] then makes closing the
/// main window hide it when the user wants sync to go on in the background.
pub fn install<R: Runtime>(app: &tauri::App<R>) -> tauri::Result<()> {
    let state = app.state::<AppState>();
    let paused = state.cache().sync_paused().unwrap_or(false);
    let status = MenuItem::with_id(app, "status", "Sync: starting", false, None::<&str>)?;
    let sync_now = MenuItem::with_id(app, "sync_now", "Sync now", true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(app, "pause", "Pause sync", true, paused, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Noesis", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Noesis", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&status, &PredefinedMenuItem::separator(app)?, &sync_now, &pause, &PredefinedMenuItem::separator(app)?, &open, &quit],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID).tooltip("Noesis").menu(&menu).show_menu_on_left_click(false);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    let pause_item = pause.clone();
    tray.on_menu_event(move |app, event| {
        if let Some(action) = menu_action(event.id.as_ref(), pause_item.is_checked().unwrap_or(false)) {
            perform(app, action);
        }
    })
    .on_tray_icon_event(|tray, event| {
        if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
            show_main(tray.app_handle());
        }
    })
    .build(app)?;

    let (status_item, pause_item) = (status.clone(), pause.clone());
    app.listen_any("sync://status", move |event| {
        if let Ok(s) = serde_json::from_str::<SyncStatus>(event.payload()) {
            let _ = status_item.set_text(tray_label(&s));
            let _ = pause_item.set_checked(s.state == SyncState::Paused);
        }
    });
    Ok(())
}

/// What the tray does with the app's run events: with a tray icon, a start
/// with [`HIDDEN_ARG`] (`start_hidden`) hides the window as soon as it exists,
/// and closing the window hides it instead, unless the user turned
/// "keep syncing" off. Without a tray icon, closing quits as usual: nothing
/// would be left to reopen the window from.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: &RunEvent, start_hidden: bool) {
    let has_tray = || app.tray_by_id(TRAY_ID).is_some();
    match event {
        RunEvent::Ready if start_hidden && has_tray() => {
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                let _ = window.hide();
            }
        }
        RunEvent::WindowEvent { label, event: WindowEvent::CloseRequested { api, .. }, .. }
            if label == MAIN_WINDOW && has_tray() && app.state::<AppState>().cache().close_to_tray().unwrap_or(true) =>
        {
            api.prevent_close();
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                let _ = window.hide();
            }
        }
        _ => {}
    }
}

/// Shows, restores and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_menu_item_has_its_action() {
        assert_eq!(menu_action("sync_now", false), Some(TrayAction::SyncNow));
        assert_eq!(menu_action("pause", true), Some(TrayAction::Pause(true)), "ticking Pause pauses");
        assert_eq!(menu_action("pause", false), Some(TrayAction::Pause(false)), "unticking it resumes");
        assert_eq!(menu_action("open", false), Some(TrayAction::Open));
        assert_eq!(menu_action("quit", false), Some(TrayAction::Quit));
        assert_eq!(menu_action("status", false), None, "the status line does nothing");
    }

    #[test]
    fn the_tray_says_the_state_and_what_waits() {
        let status = |state, pending, not_accepted| SyncStatus {
            state,
            pending,
            last_sync: None,
            conflicts: 0,
            error_message: None,
            not_accepted,
            held_deletions: 0,
            unreadable_central: 0,
        };
        assert_eq!(tray_label(&status(SyncState::Online, 0, 0)), "Sync: up to date");
        assert_eq!(tray_label(&status(SyncState::Offline, 1, 0)), "Sync: offline, 1 change pending");
        assert_eq!(tray_label(&status(SyncState::Paused, 3, 0)), "Sync: paused, 3 changes pending");
        assert_eq!(tray_label(&status(SyncState::Online, 0, 1)), "Sync: up to date, 1 change not accepted");
        assert_eq!(tray_label(&status(SyncState::Online, 2, 3)), "Sync: up to date, 3 changes not accepted, 2 changes pending");
    }
}
