//! A running `noesis-sync agent` for the tests that drive the background
//! agent (under faults, or several at once).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::device::Device;

/// Longest a test waits for the agent to notice something; generous for a
/// loaded CI machine (this is a deadline, not a speed requirement). Other tests
/// on the same server may hold the cluster-wide horizon back for up to the
/// 15 s idle-in-transaction timeout plus a backoff step.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// A running `noesis-sync agent --json`, its status lines collected.
pub struct Agent {
    /// The agent process.
    pub child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
    /// The agent's log (stderr), shown when a test fails.
    log: tempfile::NamedTempFile,
}

impl Agent {
    /// Starts `noesis-sync agent --json` for `device`.
    pub fn start(device: &Device) -> Agent {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = device
            .cli()
            .args(["agent", "--json"])
            .env("NOESIS_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Agent { child, lines, log }
    }

    /// Waits for a status with this state; returns it.
    pub fn wait_for_state(&self, state: &str) -> serde_json::Value {
        let until = Instant::now() + DEADLINE;
        while Instant::now() < until {
            if let Ok(s) = self.lines.recv_timeout(Duration::from_millis(200)) {
                if s["state"] == state {
                    return s;
                }
            }
        }
        panic!("the agent never reported {state}");
    }

    /// The last `lines` lines of the agent's log, for a test's diagnostics.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Forgets the statuses reported so far, so the next wait sees only newer ones.
    pub fn drain(&self) {
        while self.lines.try_recv().is_ok() {}
    }

    /// Ends the agent at once, as a crash or a power cut would (`kill -9`).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        sigterm(self.child.id());
        self.child.wait().unwrap()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        if std::thread::panicking() {
            eprintln!("--- agent log ---\n{}", std::fs::read_to_string(self.log.path()).unwrap_or_default());
        }
    }
}

fn sigterm(pid: u32) {
    let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}
