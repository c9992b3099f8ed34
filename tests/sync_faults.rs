//! Sync under faults: the network cut mid-push, the server dropping the agent's
//! connections, a real server restart and outage (on a private server), and the
//! process killed with `kill -9` in the middle of a pull. Each ends with no
//! loss, no duplicates, convergence.

use crate::support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::agent::{Agent, DEADLINE};
use support::device::{card_sql, Device};
use support::private_server::PrivateServer;
use support::proxy::{upstream_of, Proxy};
use support::{run_psql, Server, TestDb};

/// Polls `check` until it holds or the deadline passes.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + DEADLINE;
    while Instant::now() < until {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not happen within {DEADLINE:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_rides_out_a_cut_network_and_catches_up_by_itself() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let proxy = Proxy::start(upstream_of(&db.url)).await;
    let laptop = Device::new(&proxy.url_for(&db.url));
    let studio = Device::new(&db.url);
    studio.sync();
    laptop.sync();

    let agent = Agent::start(&laptop);
    agent.wait_for_state("online");

    proxy.cut();
    // An edit while the network is gone: stays local, status says offline.
    laptop.sqlite(&card_sql("offline-1", "typed on the train"));
    let offline = agent.wait_for_state("offline");
    assert!(offline["error"]["message"].as_str().unwrap().contains("cannot reach"), "{offline}");
    // Meanwhile another device writes.
    studio.sqlite(&card_sql("studio-1", "written at home"));
    studio.sync();

    proxy.restore();
    eventually("the laptop's offline edit reaching the server", || {
        run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'offline-1'").trim() == "1"
    });
    eventually("the studio's edit reaching the laptop", || {
        laptop.sqlite("SELECT count(*) FROM memory_cards WHERE id = 'studio-1'").trim() == "1"
    });
    assert!(agent.stop().success(), "the agent stops cleanly on SIGTERM");
    studio.sync();
    let (local, central) = laptop.checksums();
    assert_eq!(local, central);
    assert_eq!(studio.checksums().0, central);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_reconnects_after_the_server_drops_its_connections() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let laptop = Device::new(&db.url);
    laptop.sync();
    let agent = Agent::start(&laptop);
    agent.wait_for_state("online");
    // What a server restart looks like from the client: every session killed.
    let database = url::Url::parse(&db.url).unwrap().path().trim_start_matches('/').to_string();
    run_psql(
        &db.url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'noesis-sync' AND datname = '{database}'"
        ),
    );
    run_psql(&db.url, &card_sql("after-restart", "written while the agent reconnected"));
    eventually("the write made during the reconnect arriving", || {
        laptop.sqlite("SELECT count(*) FROM memory_cards WHERE id = 'after-restart'").trim() == "1"
    });
    laptop.sqlite(&card_sql("pushed-after", "local write after the restart"));
    eventually("a local write after the reconnect reaching the server", || {
        run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'pushed-after'").trim() == "1"
    });
    assert!(agent.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_rides_out_a_real_server_restart_and_outage() {
    let server = tokio::task::spawn_blocking(PrivateServer::start).await.unwrap();
    let url = server.create_database("noesis").await;
    let laptop = Device::new(&url);
    let studio = Device::new(&url);
    laptop.sync();
    studio.sync();
    let agent = Agent::start(&laptop);
    agent.wait_for_state("online");

    // A real restart: every session ends, the server comes back on its port.
    server.restart();
    run_psql(&url, &card_sql("server-after-restart", "written by another program after the restart"));
    laptop.sqlite(&card_sql("laptop-after-restart", "typed right after the restart"));
    eventually("the server's write after the restart reaching the laptop", || {
        laptop.sqlite("SELECT count(*) FROM memory_cards WHERE id = 'server-after-restart'").trim() == "1"
    });
    eventually("the laptop's write after the restart reaching the server", || {
        run_psql(&url, "SELECT count(*) FROM memory_cards WHERE id = 'laptop-after-restart'").trim() == "1"
    });

    // An outage: the server is down while both devices keep writing.
    agent.drain();
    server.stop();
    laptop.sqlite(&card_sql("laptop-while-down", "typed while the server was down"));
    let offline = agent.wait_for_state("offline");
    assert!(!offline["error"].is_null(), "the user is told why sync stopped: {offline}");
    studio.sqlite(&card_sql("studio-while-down", "typed on the other device meanwhile"));
    server.start_again();
    agent.wait_for_state("online");
    studio.sync();
    run_psql(&url, &card_sql("server-after-start", "written by another program after the outage"));
    for id in ["laptop-while-down", "laptop-after-restart"] {
        eventually("the laptop's writes reaching the server", || {
            run_psql(&url, &format!("SELECT count(*) FROM memory_cards WHERE id = '{id}'")).trim() == "1"
        });
    }
    for id in ["studio-while-down", "server-after-start"] {
        eventually("the other writers' changes reaching the laptop", || {
            laptop.sqlite(&format!("SELECT count(*) FROM memory_cards WHERE id = '{id}'")).trim() == "1"
        });
    }
    assert!(agent.stop().success(), "the agent stops cleanly on SIGTERM");

    studio.sync();
    assert_eq!(laptop.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0", "nothing the laptop wrote is left unsent");
    assert_eq!(
        run_psql(
            &url,
            "SELECT count(*) FROM (SELECT row_id FROM noesis_sync.changelog WHERE op = 'I' GROUP BY row_id HAVING count(*) > 1) d"
        )
        .trim(),
        "0",
        "no card was inserted twice"
    );
    assert_eq!(run_psql(&url, "SELECT count(*) FROM memory_cards").trim(), "5", "every card written on any side is on the server, once");
    let (local, central) = laptop.checksums();
    assert_eq!(local, central, "the laptop holds exactly what the server holds");
    assert_eq!(studio.checksums().0, central, "the other device holds exactly what the server holds");
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_killed_midway_resumes_without_loss_or_duplicates() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let laptop = Device::new(&db.url);
    laptop.sync();
    // Enough changes for several pull batches.
    run_psql(
        &db.url,
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status)
         VALUES ('d1', now(), 'big.pdf', '/big.pdf', 'pdf', 1, 'h', 'indexed');
         INSERT INTO document_chunks (id, document_id, chunk_index, text)
         SELECT 'k' || g, 'd1', g, repeat('lorem ipsum ', 20) || g FROM generate_series(1, 12000) g;",
    );
    for delay_ms in [150, 400] {
        let mut child = laptop.cli().args(["sync"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    laptop.sync();
    assert_eq!(laptop.sqlite("SELECT count(*), count(DISTINCT id) FROM document_chunks").trim(), "12000|12000");
    let (local, central) = laptop.checksums();
    assert_eq!(local, central, "the resumed pull converged");
    assert_eq!(laptop.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0", "nothing pulled was queued to be pushed back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_cut_midway_is_retried_without_duplicates() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let proxy = Proxy::start(upstream_of(&db.url)).await;
    let laptop = Device::new(&proxy.url_for(&db.url));
    laptop.sync();
    laptop.sqlite(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
         INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         SELECT 'c' || i, '2025-01-01T00:00:00Z', 'preferences', 'global', 'card ' || i, 'pending', '{\"reason\": \"written by a test\"}' FROM n;",
    );
    for delay_ms in [200, 600] {
        let child = laptop.cli().args(["sync"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        proxy.cut();
        let status = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
        proxy.restore();
        let _ = status;
    }
    laptop.sync();
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim(), "3000", "every card arrived");
    assert_eq!(
        run_psql(
            &db.url,
            "SELECT count(*) FROM (SELECT row_id FROM noesis_sync.changelog WHERE op = 'I' GROUP BY row_id HAVING count(*) > 1) d"
        )
        .trim(),
        "0",
        "no card was inserted twice"
    );
    assert_eq!(laptop.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0");
    let (local, central) = laptop.checksums();
    assert_eq!(local, central);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_tells_a_refused_port_from_a_server_that_does_not_answer() {
    // A port nothing listens on: the refusal comes back at once, and the
    // status must say so (it used to wait out the pool's 10 s and then say
    // "no answer", sending the user to check the network instead of the port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let refused = Agent::start(&Device::new(&format!("postgres://noesis_user:pw@127.0.0.1:{closed}/noesis?connect_timeout=10")));
    let offline = refused.wait_for_state("offline");
    let message = offline["error"]["message"].as_str().unwrap();
    assert!(message.contains("connection refused") && !message.contains("no answer"), "{offline}");
    refused.kill();

    // A machine that takes the connection and never answers (a stalled
    // server, a half-open tunnel): "offline" is said early, while the attempt
    // goes on, with that reason.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().map_while(Result::ok).collect();
        drop(held);
    });
    let waiting = Agent::start(&Device::new(&format!("postgres://noesis_user:pw@127.0.0.1:{port}/noesis?connect_timeout=10")));
    let offline = waiting.wait_for_state("offline");
    let message = offline["error"]["message"].as_str().unwrap();
    assert!(message.contains("no answer within 2 s; still trying for up to 10 s"), "{offline}");
    waiting.kill();
}
