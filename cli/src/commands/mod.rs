//! One module per subcommand.

pub mod agent;
pub mod conflicts;
pub mod embeddings;
pub mod history;
pub mod login;
pub mod migrate;
pub mod setup;
pub mod status;
pub mod sync;
pub mod verify;

/// `--legacy-dir` as the wizard reads a typed folder (`~/` is the home
/// folder, also when quoted; an empty value is refused with what to type).
pub fn legacy_folder(text: &str) -> Result<std::path::PathBuf, String> {
    noesis_engine::legacy::discover::typed_folder(text).map_err(|e| e.to_string())
}

use crate::context::Context;
use crate::{Cli, Command};

/// Runs the chosen subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context::new(&cli);
    match cli.command {
        Command::Setup(args) => setup::run(&ctx, args).await,
        Command::Status => status::run(&ctx).await,
        Command::Login(args) => login::run(&ctx, args).await,
        Command::Logout => login::logout(&ctx),
        Command::Sync(args) => sync::run(&ctx, args).await,
        Command::Agent => agent::run(&ctx).await,
        Command::Embeddings(args) => embeddings::run(&ctx, args),
        Command::Conflicts(args) => conflicts::run(&ctx, args).await,
        Command::Migrate(args) => migrate::run(&ctx, args).await,
        Command::Verify(args) => verify::run(&ctx, args).await,
        Command::History(args) => history::history(&ctx, args).await,
        Command::Restore(args) => history::restore(&ctx, args).await,
        Command::Trash(args) => history::trash(&ctx, args).await,
        Command::Undelete(args) => history::undelete(&ctx, args).await,
    }
}
