//! The agent started paused (the user paused sync before a restart): it says
//! so, pushes nothing while paused, and catches up when resumed.

use crate::support;

use std::time::{Duration, Instant};

use noesis_engine::central::ServerTarget;
use noesis_engine::sync::{start_agent, AgentConfig, SyncState};
use noesis_engine::DatabaseUrl;
use support::device::{card_sql, Device};
use support::{run_psql, Server, TestDb};

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_started_paused_pushes_nothing_until_resumed() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let laptop = Device::new(&db.url);
    laptop.sync();
    laptop.sqlite(&card_sql("paused-1", "typed while paused"));

    let target = ServerTarget::resolve(&DatabaseUrl::parse(&db.url).unwrap()).unwrap();
    let mut config = AgentConfig::new(laptop.dir.path().to_path_buf(), target);
    config.paused = true;
    let agent = start_agent(config).unwrap();
    let mut status = agent.status();
    assert_eq!(status.borrow_and_update().state, SyncState::Paused, "a paused device says so from the start");

    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(status.borrow().state, SyncState::Paused);
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'paused-1'").trim(), "0", "nothing is pushed while paused");
    assert_eq!(status.borrow().pending, 1, "the edit waits, counted");

    agent.set_paused(false);
    let deadline = Instant::now() + Duration::from_secs(60);
    while run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'paused-1'").trim() != "1" {
        assert!(Instant::now() < deadline, "the edit never reached the server after resuming");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = status.borrow_and_update().clone();
        if now.state == SyncState::Online && now.pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "never back online after resuming: {now:?}");
        let _ = tokio::time::timeout(Duration::from_secs(1), status.changed()).await;
    }
    agent.stop().await;
}
