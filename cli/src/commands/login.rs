//! `noesis-sync login` and `logout`: the keychain entry for a server.

use clap::Args;
use noesis_engine::central::ServerTarget;
use noesis_engine::credentials;
use noesis_engine::Error;

use crate::context::Context;
use crate::output::print_json;
use crate::password;

/// Options of `login`.
#[derive(Args, Debug)]
pub struct LoginArgs {
    /// Store the password without first checking it against the server (when the
    /// server is not reachable right now).
    #[arg(long)]
    no_verify: bool,
}

/// Reads, checks and stores the password; remembers the server for this device.
pub async fn run(ctx: &Context, args: LoginArgs) -> anyhow::Result<()> {
    let url = ctx.server_url(None)?.ok_or(Error::NoServerConfigured)?;
    let password = match url.password() {
        Some(p) => p.clone(),
        None => password::read(&format!("Password for {} on {}:{}: ", url.user(), url.host(), url.port()))?,
    };
    let with_password = url.with_password(Some(password.clone()));
    if !args.no_verify {
        ServerTarget::exact(with_password).ping().await?;
    }
    let backend = credentials::store_password(&url, &password)?;
    let cache = ctx.cache()?;
    cache.set_server_url(&url)?;
    if ctx.json {
        print_json(&serde_json::json!({ "stored_in": backend, "server": url.to_string(), "verified": !args.no_verify }));
    } else {
        println!("Password for {} on {} stored in {}.", url.user(), url, backend.describe());
        println!("This device now syncs with {url}.");
    }
    Ok(())
}

/// Forgets the stored password.
pub fn logout(ctx: &Context) -> anyhow::Result<()> {
    let cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let found = credentials::forget_password(&url)?;
    if ctx.json {
        print_json(&serde_json::json!({ "removed": found, "server": url.to_string() }));
    } else if found {
        println!("Removed the stored password for {} on {url}.", url.user());
    } else {
        println!("No password was stored for {} on {url}.", url.user());
    }
    Ok(())
}
