//! `noesis-sync`: the Noesis sync engine without the desktop app, for scripts,
//! servers and tests. Every command is a thin layer over `noesis-engine`.

/// mimalloc instead of the system allocator: a pull allocates a few dozen
/// small strings per row on the task reading from Postgres and frees them on
/// the thread writing SQLite; glibc's allocator spent a fifth of both threads'
/// time on that (arena locks, consolidation), mimalloc about a third of it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod context;
mod output;
mod password;
mod progress_bars;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sync the Noesis local cache with the central PostgreSQL.
#[derive(Parser, Debug)]
#[command(name = "noesis-sync", version, about, long_about = None)]
pub struct Cli {
    /// Central server, e.g. postgres://noesis_user@192.168.4.25:5433/noesis. The
    /// password may be in the URL (user:password@), in PGPASSWORD, or in the
    /// OS keychain (see `login`). Parameters accepted: sslmode (default
    /// require, prefer for this machine), sslrootcert, sslcert, sslkey,
    /// connect_timeout. Defaults to the server this device was last logged in to.
    #[arg(long, env = "NOESIS_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,

    /// Folder holding this device's cache (cache.sqlite3) and identity.
    /// Default: the OS application-data folder (e.g. ~/.local/share/Noesis).
    #[arg(long, env = "NOESIS_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,

    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,

    /// Log detail on stderr: error, warn, info, debug or trace.
    #[arg(long, env = "NOESIS_LOG", global = true, default_value = "warn")]
    log_level: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply the central schema (idempotent) and report the server version,
    /// pgvector status and privileges. Run once as the database owner.
    Setup(commands::setup::SetupArgs),
    /// Show this device, pending changes, and per-table row counts and checksums,
    /// locally and on the server, so two devices can be compared.
    Status,
    /// Store the server password in the OS keychain (read from the terminal, or
    /// one line of stdin), after checking it works, and remember the server.
    Login(commands::login::LoginArgs),
    /// Remove the stored password for the server from the OS keychain.
    Logout,
    /// Run one sync cycle: push local changes (merging with concurrent ones),
    /// then pull the server's changes; print what moved.
    Sync(commands::sync::SyncArgs),
    /// Keep syncing in the foreground until SIGINT/SIGTERM: wakes on server
    /// notifications and local writes, retries with backoff when offline, and
    /// prints each status change (JSON lines with --json).
    Agent,
    /// Opt this device in or out of pulling embeddings (off by default: they
    /// are large).
    Embeddings(commands::embeddings::EmbeddingsArgs),
    /// List open conflicts with both versions, or resolve one
    /// (`conflicts resolve ID --keep local|remote`).
    Conflicts(commands::conflicts::ConflictsArgs),
    /// List the versions the server kept of a row, newest first: when, which
    /// device (or the Noesis server) replaced each, and the fields it changed.
    History(commands::history::HistoryArgs),
    /// Put an earlier version of a row back (`restore TABLE ID --version N`):
    /// an ordinary edit of this device, synced at once.
    Restore(commands::history::RestoreArgs),
    /// List the rows deleted on the server and not restored, newest first.
    Trash(commands::history::TrashArgs),
    /// Bring a deleted row back as it was when deleted, and sync.
    Undelete(commands::history::UndeleteArgs),
    /// Import the old Noesis server's SQLite stores (memory cards, chat sessions,
    /// mind-file, documents and chunks) into the central database: read-only on
    /// the originals, resumable, idempotent, verified at the end.
    Migrate(commands::migrate::MigrateArgs),
    /// Check that every legacy row is in the central database with equal content,
    /// kept as a migration conflict, or kept in the rejects table. Exits 0 only
    /// if every row is accounted for.
    Verify(commands::verify::VerifyArgs),
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    init_logging(&cli.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.json;
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e, json);
            ExitCode::FAILURE
        }
    }
}

/// `noesis-sync status | head` should end quietly when `head` closes the pipe,
/// as other command-line tools do, instead of panicking on the failed write.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn init_logging(level: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(format!("{level},sqlx=warn")).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
