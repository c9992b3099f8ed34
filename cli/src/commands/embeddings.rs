//! `noesis-sync embeddings on|off`: whether this device pulls embeddings.

use clap::{Args, ValueEnum};
use noesis_engine::sync::pull::set_pull_embeddings;

use crate::context::Context;
use crate::output::print_json;

/// Options of `embeddings`.
#[derive(Args, Debug)]
pub struct EmbeddingsArgs {
    /// `on`: pull embeddings (stored as compact f32 blobs) from the next sync on;
    /// `off`: stop and delete the local copies.
    #[arg(value_enum)]
    switch: Switch,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Switch {
    On,
    Off,
}

/// Records the choice in this device's cache.
pub fn run(ctx: &Context, args: EmbeddingsArgs) -> anyhow::Result<()> {
    let mut cache = ctx.cache()?;
    let on = matches!(args.switch, Switch::On);
    set_pull_embeddings(&mut cache, on)?;
    if ctx.json {
        print_json(&serde_json::json!({ "pull_embeddings": on }));
    } else if on {
        println!("This device will pull embeddings from the next sync on.");
    } else {
        println!("This device no longer pulls embeddings; local copies removed.");
    }
    Ok(())
}
