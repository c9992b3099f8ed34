//! What a device still has to do with a server it was just pointed at (a new
//! port, a new host, another database), so changing servers in Settings walks
//! only the steps that are left: the schema if it is not current, the legacy
//! data only if this device never migrated to this server. The central run
//! record (`noesis_sync.legacy_runs`) says whether it did.

use super::discover::{recorded_runs, RecordedRun};
use crate::central::{schema_plan, ServerTarget};
use crate::error::Result;

/// The step that is left, if any.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum NextStep {
    /// The sync schema is missing or older than this app's: apply it first.
    Schema,
    /// This device never finished a migration to this server: offer to bring
    /// its legacy data in (it may have none).
    Legacy,
    /// Nothing: this device's legacy data is on this server already.
    Done {
        /// The run that brought it.
        run: RecordedRun,
    },
}

/// The decision, from the schema's state and the runs recorded (newest first).
pub fn decide(schema_current: bool, runs: &[RecordedRun]) -> NextStep {
    if !schema_current {
        return NextStep::Schema;
    }
    match runs.iter().find(|r| r.this_device && r.status == "completed") {
        Some(run) => NextStep::Done { run: run.clone() },
        None => NextStep::Legacy,
    }
}

/// Reads the schema's state and the run record of `target` for this device.
pub async fn next_step(target: &ServerTarget, device_id: &str) -> Result<NextStep> {
    let plan = schema_plan(target).await?;
    if !plan.current {
        return Ok(NextStep::Schema);
    }
    Ok(decide(true, &recorded_runs(target, device_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(this_device: bool, status: &str) -> RecordedRun {
        RecordedRun {
            device_name: if this_device { "Mac Studio" } else { "MacBook Air" }.into(),
            this_device,
            legacy_dir: "/Users/me/noesis".into(),
            status: status.into(),
            started_at: "2026-11-30T09:00:00+00:00".into(),
            finished_at: (status == "completed").then(|| "2026-11-30T09:02:00+00:00".into()),
        }
    }

    #[test]
    fn only_the_steps_left_are_walked() {
        let cases: &[(bool, Vec<RecordedRun>, &str)] = &[
            (false, vec![run(true, "completed")], "schema"),
            (true, vec![], "legacy"),
            (true, vec![run(false, "completed")], "legacy"),
            (true, vec![run(true, "running")], "legacy"),
            (true, vec![run(true, "failed"), run(true, "completed")], "done"),
        ];
        for (current, runs, expected) in cases {
            let step = decide(*current, runs);
            let name = serde_json::to_value(&step).unwrap()["step"].as_str().unwrap().to_string();
            assert_eq!(name, *expected, "schema current {current}, runs {runs:?}");
        }
    }
}
