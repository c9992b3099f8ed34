//! "Choose folder…": asking the user for a folder with the system's own dialog
//! (the Tauri team's `tauri-plugin-dialog`, GTK on Linux). The wizard's legacy
//! step calls it through a typed command, so the front end needs no dialog
//! permission of its own and the bindings stay generated.
//!
//! The dialog is held as managed state ([`FolderDialog`]): the app installs the
//! native one ([`native`]); command tests, which have no display to show a
//! dialog on, install a stand-in that answers at once.

use std::path::PathBuf;

use tauri::{AppHandle, Runtime};

/// Called with the folder the user chose, or `None` when they cancelled.
pub type Answer = Box<dyn FnOnce(Option<PathBuf>) + Send>;

/// Shows a folder dialog starting in the given folder and calls the answer
/// once the user closed it, from any thread.
type Show = Box<dyn Fn(Option<PathBuf>, Answer) + Send + Sync>;

/// A folder dialog, managed by Tauri for the `wizard_choose_legacy_folder` command.
pub struct FolderDialog(Show);

impl FolderDialog {
    /// A dialog that shows itself with `show`: the native one, or a test's stand-in.
    pub fn new(show: impl Fn(Option<PathBuf>, Answer) + Send + Sync + 'static) -> Self {
        Self(Box::new(show))
    }

    /// Shows the dialog and waits (without holding a runtime thread) for the
    /// user's folder; `None` when they cancelled.
    pub async fn choose(&self, start: Option<PathBuf>) -> Option<PathBuf> {
        let (tx, rx) = std::sync::mpsc::channel();
        (self.0)(
            start,
            Box::new(move |chosen| {
                let _ = tx.send(chosen);
            }),
        );
        tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten()).await.ok().flatten()
    }
}

/// The system's folder dialog, over the app's windows. Needs
/// `tauri_plugin_dialog::init()` registered on the app.
pub fn native<R: Runtime>(app: &AppHandle<R>) -> FolderDialog {
    use tauri_plugin_dialog::DialogExt;
    let app = app.clone();
    FolderDialog::new(move |start, answer| {
        let mut dialog = app.dialog().file().set_title("Choose the old Noesis project folder");
        if let Some(start) = start {
            dialog = dialog.set_directory(start);
        }
        // Non-blocking: the plugin shows it on the main thread and answers
        // from its own thread.
        dialog.pick_folder(move |chosen| answer(chosen.and_then(|p| p.into_path().ok())));
    })
}
