//! One module per subcommand.

pub mod login;
pub mod setup;
pub mod status;

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
    }
}
