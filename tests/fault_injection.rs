//! Seeded fault injection: three devices, each with its own background agent
//! behind a proxy that reads the PostgreSQL protocol, a writer straight into
//! PostgreSQL (as the Python server would write) and a `sqlite3` writer on each
//! device's cache. While every writer edits, the proxies cut, stall
//! (blackhole) and restore the network and the agents are killed at random, or
//! right before or right after one of their COMMITs reaches the server. One
//! device also goes offline until its queue holds more than a push batch and
//! is killed right after its first COMMIT back (the lost acknowledgement with a
//! backlog). A ground-truth log records every write that succeeded; at the end,
//! with the faults gone, the agents alone must bring every copy to the same
//! data, and each row is checked against the log: no field value, chat message,
//! tag or card lost, none duplicated, nothing stuck in a queue.
//!
//! Every field of the shared cards has one owner among the four writers, so
//! its final value is known exactly: the owner's last write. Same-field races
//! between writers are the property test's subject (`sync_convergence.rs`).
//!
//! `NOESIS_FAULT_SECONDS` (default 30) sets how long faults are injected,
//! `NOESIS_FAULT_SEED` the seed (default fixed, so the suite's schedule is the
//! same on every run; the timing of processes still varies), and
//! `NOESIS_FAULT_REPORT` a file for the figures as JSON.
//! `scripts/fault-run.sh` runs it long with a random seed.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use noesis_engine::tables::contract::{APPROVALS, CATEGORIES, DOCUMENT_STATUSES, FILE_TYPES, SCOPES};
use support::agent::Agent;
use support::device::{card_sql, Device};
use support::proxy::{upstream_of, Proxy};
use support::{run_psql, TestDb};

const DEVICES: usize = 3;
/// Writers 0..3 write on the devices' caches; writer 3 writes on the server.
const WRITERS: usize = DEVICES + 1;
const SERVER_WRITER: usize = DEVICES;
const CARDS: usize = 12;
const FIELDS: [&str; 4] = ["text", "category", "scope", "approval"];
/// The device that goes offline for a backlog bigger than a push batch.
const BACKLOG_DEVICE: usize = 2;
/// Cards it writes while offline: more than one push batch (500).
const BACKLOG_CARDS: usize = 600;
/// How long the agents get to settle once the faults end: a deadline for a
/// loaded 2-core machine, not a speed requirement (a debug build pushes a
/// 500-row batch in 10-25 s here while two other agents and the writers run).
const SETTLE: Duration = Duration::from_secs(240);

/// A small seeded generator (SplitMix64): the schedule of writes and faults
/// follows from the seed alone.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.next() % (to - from))
    }
}

/// Which writer owns field `field` of card `card`.
fn owner(card: usize, field: usize) -> usize {
    (card + field) % WRITERS
}

/// Every write that succeeded, in the order it was made.
#[derive(Default)]
struct Truth {
    /// The last value written to each (card, field).
    fields: HashMap<(usize, usize), String>,
    /// Chat messages appended to session `s1`: (writer, text).
    messages: Vec<(usize, String)>,
    /// Tags of document `d1` and whether they are still meant to be there.
    tags: BTreeMap<String, bool>,
    /// Cards created during the run and whether they are still meant to exist.
    cards: BTreeMap<String, bool>,
    /// Writes per kind.
    counts: BTreeMap<&'static str, u64>,
}

/// Faults injected per kind.
#[derive(Default)]
struct Faults(BTreeMap<&'static str, u64>);

impl Faults {
    fn count(&mut self, kind: &'static str) {
        *self.0.entry(kind).or_default() += 1;
    }
}

/// One device of the run: its data folder, proxy and (while alive) agent.
struct Node {
    device: Device,
    proxy: Proxy,
    agent: Option<Agent>,
    /// When the current network fault ends.
    heal_at: Option<Instant>,
    /// When the killed agent starts again.
    restart_at: Option<Instant>,
    /// A COMMIT cut armed: until when to wait for it, and what it is.
    commit_watch: Option<(Instant, &'static str)>,
}

impl Node {
    fn start_agent(&mut self) {
        self.agent = Some(Agent::start(&self.device));
    }

    fn kill_agent(&mut self, restart_in: Duration) {
        if let Some(agent) = self.agent.take() {
            agent.kill();
        }
        self.restart_at = Some(Instant::now() + restart_in);
    }

    fn heal(&mut self) {
        self.proxy.restore();
        self.proxy.unstall();
        self.heal_at = None;
    }
}

/// Runs SQL on a cache in the `sqlite3` shell, waiting for the agent's locks;
/// whether it succeeded (a write that failed is not in the ground truth).
fn sqlite_write(cache: &Path, sql: &str) -> bool {
    let out = Command::new("sqlite3").args(["-cmd", ".timeout 20000"]).arg(cache).arg(sql).output().expect("the sqlite3 shell is installed");
    if !out.status.success() {
        eprintln!("sqlite3 write failed (not counted): {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    out.status.success()
}

/// Runs one statement in `psql`; whether it succeeded (PostgreSQL may pick
/// it as a deadlock's victim and roll it back, as it would the Python server's).
fn psql_write(url: &str, sql: &str) -> bool {
    let out = Command::new(support::psql()).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]).output().expect("run psql");
    if !out.status.success() {
        eprintln!("psql write failed (not counted): {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    out.status.success()
}

fn sqlite_read(cache: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3").args(["-cmd", ".timeout 20000"]).arg(cache).arg(sql).output().unwrap();
    assert!(out.status.success(), "sqlite3 read failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A value for field `field`: unique text, or one of the Noesis server's terms.
fn field_value(rng: &mut Rng, field: usize, n: u64, writer: usize) -> String {
    let vocabulary = match FIELDS[field] {
        "text" => return format!("w{writer} edit {n}"),
        "category" => &CATEGORIES,
        "scope" => &SCOPES,
        _ => &APPROVALS,
    };
    vocabulary.terms[rng.below(vocabulary.terms.len())].value.to_string()
}

/// The run's writers and their ground truth.
struct Writers {
    rng: Rng,
    truth: Truth,
    /// Writes made so far (for unique values).
    n: u64,
}

impl Writers {
    /// Runs `sql` as writer `w`: on its device's cache, or on the server.
    fn write(&mut self, nodes: &[Node], url: &str, w: usize, sql: &str) -> bool {
        if w == SERVER_WRITER {
            psql_write(url, sql)
        } else {
            sqlite_write(&nodes[w].device.cache_path(), sql)
        }
    }

    /// One random write by one random writer, logged if it succeeded.
    fn one(&mut self, nodes: &[Node], url: &str) {
        self.n += 1;
        let n = self.n;
        let w = self.rng.below(WRITERS);
        let on_server = w == SERVER_WRITER;
        match self.rng.below(10) {
            0..=3 => {
                let (card, field) = loop {
                    let (c, f) = (self.rng.below(CARDS), self.rng.below(FIELDS.len()));
                    if owner(c, f) == w {
                        break (c, f);
                    }
                };
                let value = field_value(&mut self.rng, field, n, w);
                if self.write(nodes, url, w, &format!("UPDATE memory_cards SET {} = '{value}' WHERE id = 'c{card}'", FIELDS[field])) {
                    self.truth.fields.insert((card, field), value);
                    *self.truth.counts.entry("field edits").or_default() += 1;
                }
            }
            4..=6 => {
                let text = format!("w{w} message {n}");
                let sql = if on_server {
                    format!("UPDATE chat_sessions SET messages = messages || jsonb_build_array(jsonb_build_object('role', 'assistant', 'text', '{text}')) WHERE id = 's1'")
                } else {
                    format!("UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', 'user', 'text', '{text}')) WHERE id = 's1'")
                };
                if self.write(nodes, url, w, &sql) {
                    self.truth.messages.push((w, text));
                    *self.truth.counts.entry("chat messages").or_default() += 1;
                }
            }
            7 | 8 => {
                // Add a tag, or remove one this writer added.
                let own: Vec<String> = self.truth.tags.iter().filter(|(t, live)| **live && t.starts_with(&format!("w{w}-"))).map(|(t, _)| t.clone()).collect();
                if !own.is_empty() && self.rng.chance(300) {
                    let tag = &own[self.rng.below(own.len())];
                    let sql = if on_server {
                        format!("UPDATE documents SET tags = array_remove(tags, '{tag}') WHERE id = 'd1'")
                    } else {
                        format!("UPDATE documents SET tags = (SELECT json_group_array(value) FROM json_each(documents.tags) WHERE value <> '{tag}') WHERE id = 'd1'")
                    };
                    if self.write(nodes, url, w, &sql) {
                        self.truth.tags.insert(tag.clone(), false);
                        *self.truth.counts.entry("tag removals").or_default() += 1;
                    }
                } else {
                    let tag = format!("w{w}-{n}");
                    let sql = if on_server {
                        format!("UPDATE documents SET tags = array_append(tags, '{tag}') WHERE id = 'd1'")
                    } else {
                        format!("UPDATE documents SET tags = json_insert(coalesce(tags, '[]'), '$[#]', '{tag}') WHERE id = 'd1'")
                    };
                    if self.write(nodes, url, w, &sql) {
                        self.truth.tags.insert(tag, true);
                        *self.truth.counts.entry("tags added").or_default() += 1;
                    }
                }
            }
            _ => {
                // Create a card, or delete one this writer created.
                let own: Vec<String> = self.truth.cards.iter().filter(|(id, live)| **live && id.starts_with(&format!("n-w{w}-"))).map(|(id, _)| id.clone()).collect();
                if !own.is_empty() && self.rng.chance(250) {
                    let id = &own[self.rng.below(own.len())];
                    if self.write(nodes, url, w, &format!("DELETE FROM memory_cards WHERE id = '{id}'")) {
                        self.truth.cards.insert(id.clone(), false);
                        *self.truth.counts.entry("cards deleted").or_default() += 1;
                    }
                } else {
                    let id = format!("n-w{w}-{n}");
                    if self.write(nodes, url, w, &card_sql(&id, &format!("created by w{w}"))) {
                        self.truth.cards.insert(id, true);
                        *self.truth.counts.entry("cards created").or_default() += 1;
                    }
                }
            }
        }
    }
}

/// Injects a random fault on a random node that has none running.
fn inject(rng: &mut Rng, nodes: &mut [Node], faults: &mut Faults) {
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
fn tend(rng: &mut Rng, nodes: &mut [Node], faults: &mut Faults) {
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

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The rows to check, as one device or the server holds them.
struct Copy {
    /// Where: "server" or "device N".
    name: String,
    /// (card, field) -> value, for the shared cards.
    fields: HashMap<(usize, usize), String>,
    /// Texts of session s1's messages, in order.
    messages: Vec<String>,
    tags: Vec<String>,
    /// Ids of the cards created during the run.
    cards: Vec<String>,
}

fn shared_fields(lines: &str) -> HashMap<(usize, usize), String> {
    let mut out = HashMap::new();
    for line in lines.lines().filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split('|').collect();
        let card: usize = cells[0].trim_start_matches('c').parse().unwrap();
        for (f, value) in cells[1..].iter().enumerate() {
            out.insert((card, f), value.to_string());
        }
    }
    out
}

fn server_copy(url: &str) -> Copy {
    let fields = run_psql(url, "SELECT id, text, category, scope, approval FROM memory_cards WHERE id ~ '^c[0-9]+$' ORDER BY id");
    let messages = run_psql(url, "SELECT coalesce(jsonb_path_query_array(messages, '$[*].text'), '[]') FROM chat_sessions WHERE id = 's1'");
    let tags = run_psql(url, "SELECT coalesce(array_to_json(tags), '[]') FROM documents WHERE id = 'd1'");
    let cards = run_psql(url, "SELECT id FROM memory_cards WHERE id LIKE 'n-%' OR id LIKE 'bulk-%' ORDER BY id");
    Copy {
        name: "server".into(),
        fields: shared_fields(&fields),
        messages: serde_json::from_str(messages.trim()).unwrap(),
        tags: serde_json::from_str(tags.trim()).unwrap(),
        cards: cards.lines().filter(|l| !l.is_empty()).map(String::from).collect(),
    }
}

fn device_copy(k: usize, cache: &Path) -> Copy {
    let fields = sqlite_read(cache, "SELECT id, text, category, scope, approval FROM memory_cards WHERE id GLOB 'c[0-9]*' ORDER BY id");
    let messages = sqlite_read(cache, "SELECT json_group_array(json_extract(m.value, '$.text')) FROM chat_sessions s, json_each(s.messages) m WHERE s.id = 's1'");
    let tags = sqlite_read(cache, "SELECT coalesce(tags, '[]') FROM documents WHERE id = 'd1'");
    let cards = sqlite_read(cache, "SELECT id FROM memory_cards WHERE id LIKE 'n-%' OR id LIKE 'bulk-%' ORDER BY id");
    Copy {
        name: format!("device {k}"),
        fields: shared_fields(&fields),
        messages: serde_json::from_str(messages.trim()).unwrap(),
        tags: serde_json::from_str(tags.trim()).unwrap(),
        cards: cards.lines().filter(|l| !l.is_empty()).map(String::from).collect(),
    }
}

/// Every way `copy` differs from the ground truth.
fn violations(truth: &Truth, copy: &Copy) -> Vec<String> {
    let mut out = Vec::new();
    let at = &copy.name;
    for ((card, field), want) in &truth.fields {
        match copy.fields.get(&(*card, *field)) {
            Some(got) if got == want => {}
            got => out.push(format!("{at}: c{card}.{} is {got:?}, its owner last wrote {want:?} (a field value lost)", FIELDS[*field])),
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for m in &copy.messages {
        *seen.entry(m.as_str()).or_default() += 1;
    }
    for (_, text) in &truth.messages {
        match seen.get(text.as_str()) {
            None => out.push(format!("{at}: chat message {text:?} lost")),
            Some(1) => {}
            Some(n) => out.push(format!("{at}: chat message {text:?} held {n} times")),
        }
    }
    let written: BTreeSet<&str> = truth.messages.iter().map(|(_, t)| t.as_str()).collect();
    for m in copy.messages.iter().filter(|m| !written.contains(m.as_str())) {
        out.push(format!("{at}: chat message {m:?} that nobody wrote"));
    }
    for w in 0..WRITERS {
        let theirs: Vec<&str> = truth.messages.iter().filter(|(x, _)| *x == w).map(|(_, t)| t.as_str()).collect();
        let held: Vec<&str> = copy.messages.iter().map(String::as_str).filter(|m| theirs.contains(m)).collect();
        if held.len() == theirs.len() && held != theirs {
            out.push(format!("{at}: writer {w}'s chat messages are out of the order they were written in"));
        }
    }
    let tags: BTreeSet<&str> = copy.tags.iter().map(String::as_str).collect();
    if tags.len() != copy.tags.len() {
        out.push(format!("{at}: a tag is held twice: {:?}", copy.tags));
    }
    for (tag, live) in &truth.tags {
        match (live, tags.contains(tag.as_str())) {
            (true, false) => out.push(format!("{at}: tag {tag} lost")),
            (false, true) => out.push(format!("{at}: tag {tag} came back after its removal")),
            _ => {}
        }
    }
    let cards: BTreeSet<&str> = copy.cards.iter().map(String::as_str).collect();
    for (id, live) in &truth.cards {
        match (live, cards.contains(id.as_str())) {
            (true, false) => out.push(format!("{at}: card {id} lost")),
            (false, true) => out.push(format!("{at}: card {id} came back after its deletion")),
            _ => {}
        }
    }
    for id in cards.iter().filter(|id| !truth.cards.contains_key(**id)) {
        out.push(format!("{at}: card {id} that nobody created"));
    }
    out
}

/// Whether every device has pushed everything and holds what the server holds.
fn settled(nodes: &[Node]) -> Result<(), String> {
    for (k, node) in nodes.iter().enumerate() {
        let status = node.device.status();
        let pending = status["pending_changes"].as_u64().unwrap_or(u64::MAX);
        if pending > 0 {
            return Err(format!("device {k} has {pending} changes queued"));
        }
        let (local, central) = node.device.checksums();
        if local != central {
            return Err(format!("device {k} differs from the server: {local:?} vs {central:?}"));
        }
    }
    Ok(())
}

fn seed_data(url: &str) {
    let mut sql = String::new();
    for c in 0..CARDS {
        sql.push_str(&card_sql(&format!("c{c}"), "as first written"));
    }
    sql.push_str("INSERT INTO chat_sessions VALUES ('s1', 'Planning the trip', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '[]');");
    sql.push_str(&format!(
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, error_message, tags, notes)
         VALUES ('d1', '2025-01-01T00:00:00Z', 'notes.md', '/docs/notes.md', '{}', 10, 'h1', '{}', 0, '', '{{}}', '');",
        FILE_TYPES.terms[0].value, DOCUMENT_STATUSES.terms[0].value
    ));
    run_psql(url, &sql);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_agents_under_seeded_faults_lose_no_write() {
    let seconds = env_u64("NOESIS_FAULT_SECONDS", 30);
    let seed = env_u64("NOESIS_FAULT_SEED", 11);
    eprintln!("fault injection: seed {seed}, {seconds} s (NOESIS_FAULT_SEED / NOESIS_FAULT_SECONDS)");
    let db = TestDb::with_schema().await;
    seed_data(&db.url);
    let mut nodes = Vec::new();
    for _ in 0..DEVICES {
        let proxy = Proxy::start(upstream_of(&db.url)).await;
        let device = Device::new(&proxy.url_for(&db.url));
        device.sync();
        nodes.push(Node { device, proxy, agent: None, heal_at: None, restart_at: None, commit_watch: None });
    }
    for node in &mut nodes {
        node.start_agent();
    }

    let mut writers = Writers { rng: Rng(seed), truth: Truth::default(), n: 0 };
    let mut faults = Faults::default();
    let mut fault_rng = Rng(seed ^ 0x5EED);
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    // The backlog: a third of the way in, one device goes offline, writes more
    // than a push batch, and is killed right after its first COMMIT back.
    let backlog_at = started + Duration::from_secs(seconds / 3);
    let mut backlog_done = false;
    while Instant::now() < end {
        tokio::task::block_in_place(|| {
            tend(&mut fault_rng, &mut nodes, &mut faults);
            writers.one(&nodes, &db.url);
            if fault_rng.chance(60) {
                inject(&mut fault_rng, &mut nodes, &mut faults);
            }
        });
        if !backlog_done && Instant::now() >= backlog_at {
            backlog_done = true;
            let node = &mut nodes[BACKLOG_DEVICE];
            node.proxy.disarm();
            node.commit_watch = None;
            node.proxy.cut();
            node.heal_at = None;
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BACKLOG_CARDS})
                 INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
                 SELECT 'bulk-' || i, '2025-01-01T00:00:00Z', 'preferences', 'global', 'written offline ' || i, 'pending', '{{\"reason\": \"written by a test\"}}' FROM n;"
            );
            assert!(sqlite_write(&node.device.cache_path(), &sql), "the offline backlog is written");
            for i in 1..=BACKLOG_CARDS {
                writers.truth.cards.insert(format!("bulk-{i}"), true);
            }
            *writers.truth.counts.entry("cards created").or_default() += BACKLOG_CARDS as u64;
            // Writes by everyone go on while it is offline, then it comes back.
            for _ in 0..40 {
                tokio::task::block_in_place(|| writers.one(&nodes, &db.url));
            }
            let node = &mut nodes[BACKLOG_DEVICE];
            node.proxy.cut_after_next_commit();
            node.commit_watch = Some((Instant::now() + Duration::from_secs(60), "agent kills right after a COMMIT"));
            node.proxy.restore();
            faults.count("offline backlogs of more than a push batch");
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }

    // The faults end; the agents alone must settle everything.
    for node in &mut nodes {
        node.proxy.disarm();
        node.commit_watch = None;
        node.heal();
        if node.agent.is_none() {
            node.restart_at = None;
            node.start_agent();
        }
    }
    let settle_start = Instant::now();
    let mut last = Ok(());
    let mut logged_slow = false;
    while settle_start.elapsed() < SETTLE {
        last = tokio::task::block_in_place(|| settled(&nodes));
        match &last {
            Ok(()) => break,
            Err(why) => eprintln!("settling, {:.0} s: {why}", settle_start.elapsed().as_secs_f64()),
        }
        if !logged_slow && settle_start.elapsed() > Duration::from_secs(20) {
            logged_slow = true;
            for (k, node) in nodes.iter().enumerate() {
                if let Some(agent) = &node.agent {
                    eprintln!("--- device {k}'s agent log, last lines ---\n{}", agent.log_tail(25));
                }
            }
        }
        // `status` reads every table on both sides: polled gently, so the
        // check does not slow down the agents it waits for.
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let settle_secs = settle_start.elapsed().as_secs_f64();
    for node in &mut nodes {
        if let Some(agent) = node.agent.take() {
            assert!(agent.stop().success(), "an agent stops cleanly on SIGTERM");
        }
    }

    let mut found = Vec::new();
    if let Err(stuck) = &last {
        found.push(format!("not settled {SETTLE:?} after the faults ended: {stuck}"));
    }
    found.extend(violations(&writers.truth, &server_copy(&db.url)));
    for (k, node) in nodes.iter().enumerate() {
        found.extend(violations(&writers.truth, &device_copy(k, &node.device.cache_path())));
        let rejected = node.device.sqlite("SELECT count(*) FROM sync_rejected").trim().to_string();
        if rejected != "0" {
            found.push(format!("device {k}: {rejected} changes not accepted"));
        }
    }
    let conflicts = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.conflicts").trim().to_string();
    let writes: u64 = writers.truth.counts.values().sum();
    let injected: u64 = faults.0.values().sum();
    let report = serde_json::json!({
        "seed": seed,
        "seconds": seconds,
        "writes": writes,
        "writes_by_kind": writers.truth.counts,
        "faults": injected,
        "faults_by_kind": faults.0,
        "conflicts_recorded": conflicts.parse::<u64>().unwrap_or(0),
        "settled_in_seconds": (settle_secs * 10.0).round() / 10.0,
        "violations": found.len(),
    });
    eprintln!("fault injection figures: {report}");
    if !found.is_empty() {
        let recorded = run_psql(
            &db.url,
            "SELECT table_name, row_id, reason, winning_device, losing_device, base_version - 'provenance', winning_version - 'provenance', losing_version - 'provenance' FROM noesis_sync.conflicts",
        );
        eprintln!("conflicts recorded:\n{recorded}");
        for (k, node) in nodes.iter().enumerate() {
            eprintln!("device {k} is {}", node.device.status()["device"]);
        }
    }
    if let Ok(path) = std::env::var("NOESIS_FAULT_REPORT") {
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    }
    assert!(
        found.is_empty(),
        "{} violations with seed {seed} (rerun: NOESIS_FAULT_SEED={seed} NOESIS_FAULT_SECONDS={seconds}):\n{}",
        found.len(),
        found.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
