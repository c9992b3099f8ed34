//! The desktop app on Tauri's mock runtime for command tests: the real command
//! handlers and IPC serialisation, a real cache in a temporary data folder, no
//! window or WebKit, and the payloads of one event collected as they arrive.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
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

    /// Puts `value` in Tauri's managed state, as the real app does for what
    /// tests replace (the folder dialog).
    pub fn manage<T: Send + Sync + 'static>(&self, value: T) {
        tauri::Manager::manage(&self._app, value);
    }

    /// The app, for calling what the tray's menu calls.
    pub fn handle(&self) -> tauri::AppHandle<MockRuntime> {
        tauri::Manager::app_handle(&self._app).clone()
    }

    /// [`MockApp::call`] that must succeed.
    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }
}

/// A fresh database on the pgvector test server, as (form, password, admin URL
/// of the database); `None` when the test servers are not running.
pub fn fresh_database() -> Option<(Value, String, String)> {
    fresh_database_named("noesis_wizard")
}

/// [`fresh_database`] named `<prefix>_<pid>`, for a test that needs two.
pub fn fresh_database_named(prefix: &str) -> Option<(Value, String, String)> {
    let admin = std::env::var("NOESIS_TEST_DATABASE_URL").ok()?;
    let name = format!("{prefix}_{}", std::process::id());
    let run = |url: &str, sql: &str| psql(url, sql);
    run(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    run(&admin, &format!("CREATE DATABASE {name}"));
    // postgres://user:password@host:port/db?params
    let rest = admin.split_once("://").unwrap().1;
    let (auth, server) = rest.split_once('@').unwrap();
    let (user, password) = auth.split_once(':').unwrap();
    let hostport = server.split(['/', '?']).next().unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    let form =
        json!({"host": host, "port": port.parse::<u16>().unwrap(), "database": name, "user": user, "tls_mode": "prefer", "ca_file": null});
    let (base, query) = admin.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((&admin, String::new()));
    let db_url = format!("{}/{name}{query}", base.rsplit_once('/').unwrap().0);
    Some((form, password.to_string(), db_url))
}

/// Whether the test servers are up (`NOESIS_TEST_DATABASE_URL`); when not,
/// says the calling test is skipped, and fails it where scripts/test.sh
/// requires the server tests to run.
pub fn servers_up() -> bool {
    if std::env::var_os("NOESIS_TEST_DATABASE_URL").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("NOESIS_TEST_REQUIRE_SERVER").is_none(),
        "NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the server tests to run"
    );
    eprintln!("skipped: NOESIS_TEST_DATABASE_URL is not set (run under scripts/with-test-postgres.sh)");
    false
}

/// Drops the database of `db_url` (a leftover is harmless).
pub fn drop_database(db_url: &str) {
    let (Ok(admin), Some(name)) = (std::env::var("NOESIS_TEST_DATABASE_URL"), db_url.split('?').next().and_then(|u| u.rsplit('/').next()))
    else {
        return;
    };
    let _ = Command::new(noesis_test_support::psql::psql())
        .args(["-X", "-q", "-d", &admin, "-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
        .output();
}

/// Runs `sql` with psql on `url` and returns its output, trimmed.
pub fn psql(url: &str, sql: &str) -> String {
    noesis_test_support::psql::run_psql(url, sql).trim().to_string()
}

/// Runs `sql` on the cache of data folder `dir` with the `sqlite3` shell, as
/// another program would, and returns its output.
pub fn sqlite(dir: &std::path::Path, sql: &str) -> String {
    let out = Command::new("sqlite3").arg(dir.join("cache.sqlite3")).arg(sql).output().unwrap();
    assert!(out.status.success(), "sqlite3: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Waits up to `secs` for `done`, polling; false when it never came.
pub fn eventually(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// Connections the app holds to the database of `db_url` (psql's own excluded).
pub fn app_connections(db_url: &str) -> u64 {
    let name = db_url.split('?').next().unwrap().rsplit('/').next().unwrap();
    psql(db_url, &format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).parse().unwrap()
}
