//! The desktop app on Tauri's mock runtime for command tests: the real command
//! handlers and IPC serialisation, a real cache in a temporary data folder, no
//! window or WebKit, and the payloads of one event collected as they arrive.
// Each test file uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Listener, WebviewWindow, WebviewWindowBuilder};

use noesis_desktop::state::AppState;

/// A running mock app on its own data folder.
pub struct MockApp {
    /// The data folder (removed with the app).
    pub dir: tempfile::TempDir,
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    /// Payloads of the event given to [`MockApp::open`], in order.
    pub events: Arc<Mutex<Vec<Value>>>,
}

impl MockApp {
    /// The app on a fresh data folder, collecting the payloads of `event`
    /// (e.g. `sync://status`, `wizard://progress`).
    pub fn open(event: &str) -> MockApp {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path()).unwrap();
        let app = noesis_desktop::build_app(mock_builder(), state, mock_context(noop_assets())).unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        app.listen_any(event, move |e| {
            sink.lock().unwrap().push(serde_json::from_str(e.payload()).unwrap());
        });
        MockApp { dir, _app: app, window, events }
    }

    /// Invokes a command through IPC, as the front end does.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    /// [`MockApp::call`] that must succeed.
    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }
}
