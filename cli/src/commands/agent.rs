//! `noesis-sync agent`: the sync agent in the foreground, until SIGINT or
//! SIGTERM; prints each status change (one JSON object per line with --json).

use noesis_engine::central::ServerTarget;
use noesis_engine::sync::{start_agent, AgentConfig, SyncState, SyncStatus};
use noesis_engine::Error;

use crate::context::Context;

/// Runs the agent until asked to stop.
pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    drop(cache);
    let target = ServerTarget::resolve(&url)?;
    let agent = start_agent(AgentConfig::new(ctx.data_dir.clone(), target))?;
    let mut status = agent.status();
    print(&status.borrow_and_update(), ctx.json);
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    break;
                }
                print(&status.borrow_and_update(), ctx.json);
            }
            _ = &mut stop => {
                if !ctx.json {
                    eprintln!("stopping after the current batch…");
                }
                break;
            }
        }
    }
    agent.stop().await;
    Ok(())
}

fn print(s: &SyncStatus, json: bool) {
    if json {
        println!("{}", serde_json::to_string(s).unwrap_or_default());
    } else {
        println!("{}", status_line(s));
    }
}

/// One status as a line for people; changes not accepted are named only when
/// there are some, so the usual line stays short.
fn status_line(s: &SyncStatus) -> String {
    let when = s.last_sync.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_else(|| "never".into());
    let state = match s.state {
        SyncState::Connecting => "connecting",
        SyncState::Online => "online",
        SyncState::Syncing => "syncing",
        SyncState::Offline => "offline",
        SyncState::Error => "error",
        SyncState::Paused => "paused",
    };
    let mut line = format!("{state:<10} pending {:<5} conflicts {:<4} last sync {when}", s.pending, s.open_conflicts);
    if s.rejected_changes > 0 {
        line.push_str(&format!("  not accepted {}", s.rejected_changes));
    }
    if let Some(e) = &s.error {
        line.push_str(&format!("  ({})", e.message));
    }
    line
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one (systemd, launchd).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_names_changes_not_accepted_only_when_there_are_some() {
        let mut s = SyncStatus::starting(2, 0);
        s.state = SyncState::Online;
        assert_eq!(status_line(&s), "online     pending 2     conflicts 0    last sync never");
        s.rejected_changes = 3;
        assert!(
            status_line(&s).ends_with("last sync never  not accepted 3"),
            "a user watching the agent must see that 3 edits never reached the server: {}",
            status_line(&s)
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["rejected_changes"], 3, "--json names the count as `status --json` does: {json}");
    }
}
