//! `noesis-sync setup`.

use clap::Args;
use noesis_engine::central::{self, PgvectorStatus, ServerTarget};
use noesis_engine::{Error, Secret};

use crate::context::Context;
use crate::output::print_json;
use crate::password;

/// Options of `setup`.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Also create (or renew) a least-privilege login role with this name for
    /// devices: read/write on the synced tables, no DDL. Its password is read
    /// from NOESIS_DEVICE_ROLE_PASSWORD, else from the terminal (or stdin).
    #[arg(long, value_name = "NAME")]
    device_role: Option<String>,

    /// Days a device may stay silent before the changelog is pruned without
    /// waiting for it; it then resyncs fully when it returns. Default 30.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    device_expiry_days: Option<u32>,

    /// How long the server keeps the versions edits and deletions replace
    /// (history and trash): a number of days, or `forever` (the default).
    #[arg(long, value_name = "DAYS|forever", value_parser = history_days)]
    history_days: Option<HistoryDays>,
}

/// `--history-days`: days, or for ever.
#[derive(Clone, Copy, Debug)]
struct HistoryDays(Option<u32>);

fn history_days(text: &str) -> Result<HistoryDays, String> {
    match text {
        "forever" => Ok(HistoryDays(None)),
        _ => match text.parse::<u32>() {
            Ok(days) if (1..=36500).contains(&days) => Ok(HistoryDays(Some(days))),
            _ => Err(format!("`{text}` is not a number of days from 1 to 36500, nor `forever`")),
        },
    }
}

/// Applies the schema and prints the report.
pub async fn run(ctx: &Context, args: SetupArgs) -> anyhow::Result<()> {
    let url = ctx.server_url(None)?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    let role_password = match &args.device_role {
        Some(_) => Some(match std::env::var("NOESIS_DEVICE_ROLE_PASSWORD") {
            Ok(p) if !p.is_empty() => Secret::new(p),
            _ => password::read("Password for the device role: ")?,
        }),
        None => None,
    };
    let report = central::setup(&target).await?;
    if let Some(days) = args.device_expiry_days {
        central::set_device_expiry(&target, days).await?;
    }
    if let Some(HistoryDays(days)) = args.history_days {
        central::set_history_days(&target, days).await?;
    }
    let role = match (&args.device_role, &role_password) {
        (Some(name), Some(pw)) => Some(central::create_device_role(&target, name, pw).await?),
        _ => None,
    };
    if ctx.json {
        print_json(&serde_json::json!({ "setup": report, "device_role": role }));
        return Ok(());
    }
    println!("Server:      {} at {}", report.server_version, target.url());
    println!("Connected:   database `{}` as `{}`", report.database, report.user);
    if report.applied_migrations.is_empty() {
        println!("Schema:      current (version {})", report.schema.schema_version);
    } else {
        println!("Schema:      version {}; applied now:", report.schema.schema_version);
        for m in &report.applied_migrations {
            println!("               {m}");
        }
    }
    match &report.pgvector {
        PgvectorStatus::Installed { version } => println!("pgvector:    {version}, embeddings table ready"),
        PgvectorStatus::NotAvailable { fix } | PgvectorStatus::NotPermitted { fix } => {
            println!("pgvector:    MISSING");
            println!("             {fix}");
        }
    }
    let p = &report.privileges;
    println!(
        "Privileges:  superuser {}, may create schemas {}, may read and write the synced tables {}",
        yes_no(p.superuser),
        yes_no(p.can_create_schema),
        yes_no(p.can_write_tables)
    );
    if report.temp_for_every_login {
        eprintln!(
            "Warning:     every login of `{}` may still create TEMP tables: run `noesis-sync setup` as the database owner, or `REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC;` as a superuser",
            report.database, report.database
        );
    }
    if let Some(days) = args.device_expiry_days {
        println!("Expiry:      devices silent for more than {days} day(s) resync fully when they return");
    }
    if let Some(role) = role {
        println!(
            "Device role: `{}` {} with read/write on {}; no DDL. On each laptop: noesis-sync login --database-url postgres://{}@{}:{}/{}",
            role.role,
            if role.created { "created" } else { "renewed" },
            role.tables.join(", "),
            role.role,
            target.url().host(),
            target.url().port(),
            target.url().database()
        );
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
