//! Shows the engine's migration progress events as indicatif progress bars on
//! stderr (hidden automatically when stderr is not a terminal), and warnings
//! as lines above them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use noesis_engine::legacy::{ProgressEvent, ProgressSink};

/// A progress sink drawing one bar per table; `quiet` draws nothing (`--json`).
pub fn sink(quiet: bool) -> ProgressSink {
    let multi = MultiProgress::with_draw_target(if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() });
    let bars: Arc<Mutex<HashMap<String, ProgressBar>>> = Arc::default();
    let style =
        ProgressStyle::with_template("{prefix:>17} [{bar:30}] {pos}/{len} rows {msg}").expect("a valid template").progress_chars("=> ");
    Arc::new(move |event| {
        let mut bars = bars.lock().expect("progress bars lock");
        match event {
            ProgressEvent::Step { message } => {
                if !quiet {
                    let _ = multi.println(message);
                }
            }
            ProgressEvent::Warning { message } => {
                if !quiet {
                    let _ = multi.println(format!("warning: {message}"));
                }
            }
            ProgressEvent::TableStarted { table, total, resumed_after } => {
                let bar = multi.add(ProgressBar::new(total));
                bar.set_style(style.clone());
                bar.set_prefix(table.clone());
                if resumed_after > 0 {
                    bar.set_message(format!("(resuming after rowid {resumed_after})"));
                }
                bars.insert(table, bar);
            }
            ProgressEvent::Rows { table, done, rows_per_sec, eta_secs, warnings, .. } => {
                if let Some(bar) = bars.get(&table) {
                    bar.set_position(done);
                    let eta = eta_secs.map(|s| format!(", ETA {s:.0} s")).unwrap_or_default();
                    let warn = if warnings > 0 { format!(", {warnings} warning(s)") } else { String::new() };
                    bar.set_message(format!("{rows_per_sec:.0} rows/s{eta}{warn}"));
                }
            }
            ProgressEvent::TableFinished { table } => {
                if let Some(bar) = bars.get(&table) {
                    bar.finish();
                }
            }
        }
    })
}
