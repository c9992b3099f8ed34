//! The faults of the run: per device a proxy to cut or stall and an agent to
//! kill, at random or right before or after one of its COMMITs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Rng;
use crate::support::agent::Agent;
use crate::support::device::Device;
use crate::support::proxy::Proxy;

/// Faults injected per kind.
#[derive(Default)]
pub(crate) struct Faults(pub(crate) BTreeMap<&'static str, u64>);

impl Faults {
    pub(crate) fn count(&mut self, kind: &'static str) {
        *self.0.entry(kind).or_default() += 1;
    }
}

/// One device of the run: its data folder, proxy and (while alive) agent.
pub(crate) struct Node {
    pub(crate) device: Device,
    pub(crate) proxy: Proxy,
    pub(crate) agent: Option<Agent>,
    /// When the current network fault ends.
    pub(crate) heal_at: Option<Instant>,
    /// When the killed agent starts again.
    pub(crate) restart_at: Option<Instant>,
    /// A COMMIT cut armed: until when to wait for it, and what it is.
    pub(crate) commit_watch: Option<(Instant, &'static str)>,
}

impl Node {
    pub(crate) fn start_agent(&mut self) {
        self.agent = Some(Agent::start(&self.device));
    }

    pub(crate) fn kill_agent(&mut self, restart_in: Duration) {
        if let Some(agent) = self.agent.take() {
            agent.kill();
        }
        self.restart_at = Some(Instant::now() + restart_in);
    }

    pub(crate) fn heal(&mut self) {
        self.proxy.restore();
        self.proxy.unstall();
        self.heal_at = None;
    }
}

/// Injects a random fault on a random node that has none running.
pub(crate) fn inject(rng: &mut Rng, nodes: &mut [Node], faults: &mut Faults) {
    let k = rng.below(nodes.len());
    let node = &mut nodes[k];
    if node.heal_at.is_some() || node.commit_watch.is_some() || node.agent.is_none() {
        return;
    }
    match rng.below(6) {
        0 => {
            node.proxy.cut();
            node.heal_at = Some(Instant::now() + rng.millis(300, 3000));
            faults.count("network cuts");
        }
        1 => {
            node.proxy.stall();
            node.heal_at = Some(Instant::now() + rng.millis(500, 6000));
            faults.count("stalls (blackhole)");
        }
        2 => {
            let restart = rng.millis(100, 1500);
            node.kill_agent(restart);
            faults.count("agent kills (kill -9)");
        }
        3 => {
            node.proxy.cut_before_next_commit();
            node.commit_watch = Some((Instant::now() + Duration::from_secs(5), "agent kills right before a COMMIT"));
        }
        _ => {
            node.proxy.cut_after_next_commit();
            node.commit_watch = Some((Instant::now() + Duration::from_secs(5), "agent kills right after a COMMIT"));
        }
    }
}

/// Heals ended faults, kills agents whose armed COMMIT cut happened, restarts
/// killed agents when due.
pub(crate) fn tend(rng: &mut Rng, nodes: &mut [Node], faults: &mut Faults) {
    let now = Instant::now();
    for node in nodes.iter_mut() {
        if let Some((until, kind)) = node.commit_watch {
            if node.proxy.commit_cut_done() {
                node.commit_watch = None;
                let restart = rng.millis(100, 1500);
                node.kill_agent(restart);
                faults.count(kind);
            } else if now >= until {
                node.proxy.disarm();
                node.commit_watch = None;
            }
        }
        if node.heal_at.is_some_and(|t| now >= t) {
            node.heal();
        }
        if node.agent.is_none() && node.restart_at.is_some_and(|t| now >= t) {
            node.restart_at = None;
            node.start_agent();
        }
    }
}
